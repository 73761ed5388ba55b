// put_context: the batch's context reduced to closed lists and coarse values (PRIVACY.md 13):
// language from ISO lists, app version as digits, deployment and OS from closed sets, screen
// sizes in buckets. What does not fit is dropped (stored empty), never stored as sent.
import type { BatchContext } from '../../../sdk/core/catalog.ts'
import { safeAppVersion, safeDeployment, safeLang, safeOsName, safeOsVersion, screenBucket } from '../../../sdk/core/shapes.ts'
import type { BatchFacts } from '../types.ts'

export function createPutContextStep() {
  return function putContext(ctx: BatchContext | undefined): BatchFacts {
    const c = ctx ?? {}
    const screen = c.screen ? screenBucket(c.screen.w, c.screen.h) : { w: 0, h: 0 }
    const osName = c.os ? safeOsName(c.os.name) : ''
    return {
      lang: c.lang ? safeLang(c.lang) : '',
      screen_w: screen.w,
      screen_h: screen.h,
      app_version: c.app_version ? safeAppVersion(c.app_version) : '',
      deployment: c.deployment ? safeDeployment(c.deployment) : '',
      os: c.os && osName ? { name: osName, version: c.os.version ? safeOsVersion(c.os.version, 1) : '' } : undefined,
    }
  }
}
