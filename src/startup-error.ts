/**
 * A mistake in how the server was set up (a folder that does not exist, a port in use): said to
 * whoever runs it in one plain sentence naming the setting and what to do, never as a stack trace.
 * server.ts prints the message alone and exits non-zero.
 */
export class StartupError extends Error {
  override name = 'StartupError'
}

/** The StartupError for a folder setting that cannot be used, from the error the file system gave; `purpose` says what to do ("point X at …"). */
export function folderError (variable: string, dir: string, err: unknown, purpose: string): StartupError {
  const code = (err as NodeJS.ErrnoException).code
  const what = code === 'ENOENT'
    ? `the folder ${dir} does not exist`
    : code === 'ENOTDIR' || code === 'EEXIST'
      ? `${dir} is not a folder (a file, or a path through a file)`
      : code === 'EACCES' || code === 'EPERM'
        ? `the server may not use the folder ${dir} (permission denied)`
        : code === 'EROFS'
          ? `the folder ${dir} is on a read-only disk`
          : `the folder ${dir} cannot be used (${code ?? (err as Error).message})`
  return new StartupError(`${variable}: ${what}; ${code === 'ENOENT' ? 'create it, or ' : ''}${purpose}`)
}
