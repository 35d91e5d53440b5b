/** Replaced at build time by esbuild from package.json; the fallback serves tests run from source. */
declare const __PRODML_VERSION__: string | undefined;
export const VERSION: string = typeof __PRODML_VERSION__ === 'string' ? __PRODML_VERSION__ : '0.0.0-dev';
