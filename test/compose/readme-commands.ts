import { readFileSync } from 'node:fs'

/**
 * The shell commands of the README's compose section (`## Docker Compose`, up to the next `## `
 * heading): every line of its ```sh blocks, without its trailing `# comment`. The compose test runs
 * only commands found here, as written, so the README's steps are the ones a test followed.
 */
export function readmeComposeCommands(readmePath: string): Set<string> {
  const text = readFileSync(readmePath, 'utf8')
  const start = text.indexOf('\n## Docker Compose')
  if (start < 0) throw new Error(`${readmePath} has no "## Docker Compose" section`)
  const end = text.indexOf('\n## ', start + 1)
  const section = text.slice(start, end < 0 ? undefined : end)
  const commands = new Set<string>()
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const command = stripComment(line).trim()
      if (command !== '') commands.add(command)
    }
  }
  return commands
}

/** The line up to an unquoted ` #` (the README's commands quote no `#`). */
function stripComment(line: string): string {
  const at = line.search(/(^|\s)#/)
  return at < 0 ? line : line.slice(0, at)
}
