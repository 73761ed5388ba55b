// Production build: bundles the server and the CLI into dist/ with esbuild, beside the dashboard. Dependencies stay
// external (installed by `npm ci --omit=dev` in the image); chdb is optional and left out there.
import { cpSync } from 'node:fs'
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
// The dashboard's hand-written files, found by src/dashboard/routes.ts next to the bundle.
cpSync('src/dashboard/public', 'dist/dashboard', { recursive: true })
console.log('built dist/main.js, dist/cli.js and dist/dashboard/')
