// Production build: bundles the server and the CLI into dist/ with esbuild. Dependencies stay
// external (installed by `npm ci --omit=dev` in the image); chdb is optional and left out there.
import { build } from 'esbuild'

await build({
  entryPoints: { main: 'src/main.ts', cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
console.log('built dist/main.js and dist/cli.js')
