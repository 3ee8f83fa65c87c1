/** Whether a pid names a live process on this host: the test every leftover cleanup relies on. */

/** True when `pid` is running here (EPERM: alive, owned by another user); false when it is gone. */
export function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
