// The typed `track` both SDKs expose: catalog events with their props checked, custom names open.
import type { CatalogName, CatalogProps, Props } from './catalog.ts'

/** Props are optional exactly when the catalog event has no required prop; `X` is an SDK's extra argument. */
export type CatalogArgs<N extends CatalogName, X = never> = {} extends CatalogProps<N>
  ? [props?: CatalogProps<N>, extra?: X]
  : [props: CatalogProps<N>, extra?: X]

/** Custom names follow `^[a-z][a-z0-9_.]{0,63}$` (EVENTS.md) and must not be a catalog name. */
export interface Track<X = never> {
  <N extends CatalogName>(name: N, ...args: CatalogArgs<N, X>): void
  <N extends string>(name: N extends CatalogName ? never : N, props?: Props, extra?: X): void
}

/**
 * `track` typed by an app's tracking plan: `E` is the `VeilPlanEvents` interface that
 * `npm run veil -- plan-types <app>` writes. Use it by typing the SDK's track with it, e.g.
 * `const track: PlanTrack<VeilPlanEvents> = veil.track`.
 */
export type PlanTrack<E, X = never> = <N extends keyof E & string>(
  name: N,
  ...args: {} extends E[N] ? [props?: E[N], extra?: X] : [props: E[N], extra?: X]
) => void
