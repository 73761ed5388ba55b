// The message loadConfig refuses an environment with (a ConfigError), for the config tests.
import { expect } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'

export function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as Error).message
  }
  throw new Error('the configuration was accepted')
}
