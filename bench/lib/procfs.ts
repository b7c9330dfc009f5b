import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc's CPU times (100 on Linux almost everywhere; asked once). */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/**
 * CPU time (µs) a process has used so far: user + system of every thread, live or exited, plus
 * its waited-for children (proc(5): utime, stime, cutime, cstime). Piscina's signing threads are
 * threads of the proxy, so they count.
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime is field 14 overall, the 12th after the name (index 11).
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
  return (ticks * 1e6) / TICKS_PER_SECOND
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1')
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status)
  return match === null ? Number.NaN : Number(match[1]) * 1024
}
