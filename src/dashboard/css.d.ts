/** esbuild turns a CSS import into the bundle's main.css; TypeScript only needs to know it is allowed. */
declare module '*.css';
