/**
 * The lab a command names, from its options, and for a local lab that exists, its recorded ports: a
 * lab keeps the ports it was created with (its `lab.json`), so a command that names no `--base-port`
 * or `--api-port` uses those, not the defaults, which would point `status`, `verify` and the rest at
 * ports where this lab does not listen. A `--base-port` that differs from the recorded one is refused,
 * as deploy's provision step refuses it.
 */
import type { Command } from 'commander';
import { parseLabSpec, type LabSpec } from '../config/labSpec.js';
import { basePortMismatch, readRecordedPorts, type RecordedPorts } from '../environments/local/labChecks.js';
import { labLayout } from '../environments/local/labLayout.js';
import { readSpecInput } from './options.js';

/** The ports in a local lab's `lab.json`; undefined when there is none (or it is unreadable: provision says so). */
export function recordedPortsOf(spec: LabSpec): RecordedPorts | undefined {
  if (spec.env !== 'local') return undefined;
  const recorded = readRecordedPorts(labLayout(spec));
  return recorded === 'damaged' ? undefined : recorded;
}

/** `raw` (readSpecInput's) as a spec, with the recorded ports where the command named none. */
export function withRecordedPorts(raw: ReturnType<typeof readSpecInput>): LabSpec {
  const spec = parseLabSpec(raw);
  const recorded = recordedPortsOf(spec);
  if (!recorded) return spec;
  if (raw.basePort !== undefined && recorded.basePort !== spec.basePort) throw basePortMismatch(spec, labLayout(spec), recorded.basePort, true);
  const apiPort = raw.apiPort === undefined ? recorded.apiPort : undefined;
  return parseLabSpec({ ...raw, basePort: recorded.basePort, ...(apiPort !== undefined ? { apiPort } : {}) });
}

export function readLabSpec(cmd: Command): LabSpec {
  return withRecordedPorts(readSpecInput(cmd));
}
