/** Loads one API answer for a component, again whenever `key` changes; errors become text. */
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../session.js';

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

export function useApi<T>(session: Session, path: string | undefined, key: unknown = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: path !== undefined });
  useEffect(() => {
    if (!path) {
      setState({ loading: false });
      return;
    }
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    session
      .request<T>(path)
      .then((data) => live && setState({ data, loading: false }))
      .catch((err: unknown) => live && setState({ error: err instanceof Error ? err.message : String(err), loading: false }));
    return () => {
      live = false;
    };
  }, [path, key]);
  return state;
}
