import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

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

/** The live child processes of `pid` (of any of its threads), from /proc/<pid>/task/<tid>/children. */
export function childPids(pid: number): number[] {
  const children: number[] = []
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let text: string
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1')
    } catch {
      continue // the thread ended meanwhile
    }
    for (const child of text.split(' ')) if (child !== '' && child !== '\n') children.push(Number(child))
  }
  return children
}

/** `pid` and every live descendant of it. */
export function processTree(pid: number): number[] {
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) tree.push(...childPids(tree[i]!))
  return tree
}

/**
 * CPU time (µs) of a whole process tree: {@link cpuMicros} of `pid` and of each live descendant,
 * read from each one's own stat. A child's time reaches its parent's cutime only once the child has
 * exited and been waited for, so a cluster's live workers must be read one by one; a worker that
 * exits between two readings moves its time into the primary's cutime, and the sum stays whole.
 */
export function treeCpuMicros(pid: number): number {
  let total = 0
  for (const member of processTree(pid)) {
    try {
      total += cpuMicros(member)
    } catch {
      // It exited between the listing and the read: its time is in its parent's cutime once reaped.
    }
  }
  return total
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1')
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status)
  return match === null ? Number.NaN : Number(match[1]) * 1024
}

/** Resident set size of a process tree (shared pages counted in each process, as `ps` does), in bytes. */
export function treeRssBytes(pid: number): number {
  return processTree(pid).reduce((sum, member) => sum + (rssBytes(member) || 0), 0)
}

/** The socket inodes a process holds open (/proc/<pid>/fd links `socket:[<inode>]`). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`)
    } catch {
      continue // closed meanwhile
    }
    if (target.startsWith('socket:[')) inodes.add(target.slice(8, -1))
  }
  return inodes
}

/**
 * How many established TCP connections on local port `port` each process of `pids` holds: the
 * kernel's list of such sockets (`ss`, filtered in the kernel through inet_diag, so a table full of
 * TIME_WAIT entries costs nothing) matched by inode against each process's open file descriptors.
 */
export function connectionsByProcess(port: number, pids: readonly number[]): number[] {
  const listing = execFileSync('ss', ['-Htne', 'state', 'established', `( sport = :${port} )`], { encoding: 'latin1' })
  const established = new Set<string>()
  for (const match of listing.matchAll(/\bino:(\d+)/g)) established.add(match[1]!)
  return pids.map((pid) => {
    let count = 0
    for (const inode of socketInodes(pid)) if (established.has(inode)) count++
    return count
  })
}

/** Busy (non-idle, non-iowait) and total jiffies of the whole machine so far, from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!
  const values = line.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0)
  const idle = values[3]! + values[4]!
  return { busy: total - idle, total }
}

/**
 * TCP connections accepted so far on this machine (its network namespace), from /proc/net/snmp's
 * `PassiveOpens`: every listener's, the bench's and anything else running here.
 */
export function acceptedConnections(): number {
  const lines = readFileSync('/proc/net/snmp', 'latin1').split('\n').filter((line) => line.startsWith('Tcp:'))
  const names = lines[0]!.split(/\s+/)
  const values = lines[1]!.split(/\s+/)
  return Number(values[names.indexOf('PassiveOpens')])
}

/**
 * Times the main thread of each process of a tree (the event loop's, in Node) was switched out so
 * far, voluntarily (it waited: an idle event loop) or not (preempted), summed.
 */
export function treeContextSwitches(pid: number): number {
  let total = 0
  for (const member of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${member}/status`, 'latin1')
      for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) total += Number(match[1])
    } catch {
      // exited meanwhile
    }
  }
  return total
}
