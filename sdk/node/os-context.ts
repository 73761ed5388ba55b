// The on-prem SDK has no User-Agent; it reports the OS family and version instead (EVENTS.md
// "context.os"), mapped from os.platform() and os.release() (kernel versions, not product names).

export interface OsInfo {
  name: string
  version?: string
}

const OLD_WINDOWS: Record<string, string> = { '6.3': '8.1', '6.2': '8', '6.1': '7' }

export function osInfo(platform: string, release: string): OsInfo {
  const [major = 0, minor = 0, build = 0] = release.split(/[.-]/).map(Number)
  switch (platform) {
    case 'win32':
      // Windows 11 still reports kernel 10.0; its builds start at 22000.
      if (major === 10) return { name: 'Windows', version: build >= 22000 ? '11' : '10' }
      return { name: 'Windows', version: OLD_WINDOWS[`${major}.${minor}`] }
    case 'darwin':
      // Darwin 20-24 are macOS 11-15; Darwin 25 is macOS 26, named after the year.
      return { name: 'macOS', version: major >= 25 ? String(major + 1) : major >= 20 ? String(major - 9) : undefined }
    case 'linux':
      return { name: 'Linux', version: major ? `${major}.${minor}` : undefined }
    default:
      return { name: platform.charAt(0).toUpperCase() + platform.slice(1), version: major ? String(major) : undefined }
  }
}
