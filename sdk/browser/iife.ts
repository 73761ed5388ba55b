// Entry of the script-tag build: exposes `window.veil` and initialises from the tag's data
// attributes, e.g. <script src=".../veil.min.js" data-key="wk_..." data-endpoint="https://..." defer>.
import * as veil from './index.ts'
import type { Consent } from './types.ts'

declare global {
  interface Window {
    veil: typeof veil
  }
}

window.veil = veil
const s = document.currentScript as HTMLScriptElement | null
const d = s && s.dataset
if (d && d.key)
  veil.init({
    key: d.key,
    endpoint: d.endpoint || new URL(s.src).origin,
    consent: d.consent as Consent | undefined,
    appVersion: d.appVersion,
    autoPageViews: d.autoPageViews != 'false',
    debug: d.debug != null,
  })
