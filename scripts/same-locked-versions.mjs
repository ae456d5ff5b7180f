// Compares two package-lock.json files by what an install must get right: the resolved version of every
// package that is not optional. The registry adds and drops optional platform builds (msgpackr-extract's
// darwin and win32 packages, say) without any change of ours, so those may differ; nothing else may.
// Usage: node scripts/same-locked-versions.mjs committed.json installed.json  (exit 1 naming each difference)
import { readFileSync } from 'node:fs'

const required = (file) => {
  const { packages = {} } = JSON.parse(readFileSync(file, 'utf8'))
  const out = new Map()
  for (const [path, meta] of Object.entries(packages)) {
    if (path === '' || meta.optional) continue
    out.set(path, meta.version)
  }
  return out
}

const [committedFile, installedFile] = process.argv.slice(2)
if (!committedFile || !installedFile) {
  console.error('usage: same-locked-versions.mjs committed-lock.json installed-lock.json')
  process.exit(2)
}
const committed = required(committedFile)
const installed = required(installedFile)
const differences = []
for (const [path, version] of committed) {
  const got = installed.get(path)
  if (got !== version) differences.push(`${path}: locked ${version}, installed ${got ?? 'nothing'}`)
}
for (const [path, version] of installed) {
  if (!committed.has(path)) differences.push(`${path}: installed ${version}, not in the lock file`)
}
if (differences.length > 0) {
  console.error(`package-lock.json does not match what npm installs:\n  ${differences.join('\n  ')}`)
  process.exit(1)
}
