/** Why a command could not start, from the system error code (callers keep the raw code next to it). */
export function describeStartFailure(code: string): string {
  switch (code) {
    case "ENOENT":
      return "command not found";
    case "EACCES":
    case "EPERM":
      return "permission denied (is it executable?)";
    case "ENOTDIR":
      return "a path component is not a directory";
    case "E2BIG":
      return "argument list or environment too long";
    case "EAGAIN":
    case "EMFILE":
    case "ENFILE":
    case "ENOMEM":
      return "the system is out of processes, files or memory";
    case "sandbox_unavailable":
      return "the sandbox cannot run, so nothing was started";
    default:
      return "could not start";
  }
}
