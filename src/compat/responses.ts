// Fixed answers the SDKs need besides capture: PostHog's flags/decide/remote config ("no flags,
// nothing to load") and Segment's project settings (send to Veil, load no destinations, no
// telemetry), so a page pointed at Veil loads nothing from elsewhere.

/**
 * One body for /flags (v2: `flags`), /decide (`featureFlags`) and the remote config: no flags,
 * and every feature that would make posthog-js load a script or record more (session
 * recording, surveys, heatmaps, autocapture, exception capture) switched off.
 */
export function noFlagsResponse() {
  return {
    flags: {},
    featureFlags: {},
    featureFlagPayloads: {},
    errorsWhileComputingFlags: false,
    quotaLimited: [],
    config: { enable_collect_everything: false },
    autocapture_opt_out: true,
    autocaptureExceptions: false,
    capturePerformance: false,
    captureDeadClicks: false,
    heatmaps: false,
    sessionRecording: false,
    surveys: false,
    siteApps: [],
    toolbarParams: {},
    isAuthenticated: false,
    supportedCompression: ['gzip', 'gzip-js'],
    defaultIdentifiedOnly: true,
    elementsChainAsString: true,
  }
}

/**
 * The settings analytics.js reads from `${cdnURL}/v1/projects/<writeKey>/settings`: its
 * Segment.io integration sends to `protocol://apiHost` (here: Veil's /segment/v1), with no
 * other destination, middleware or plugin to load, and remote metrics off (sample rate 0).
 */
export function segmentSettings(writeKey: string, apiHost: string, protocol: string) {
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost,
        protocol,
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
        versionSettings: { componentTypes: [] },
      },
    },
    plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0, host: apiHost },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  }
}
