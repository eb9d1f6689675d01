/**
 * The environment for an npm command run on a folder other than this repository: without the
 * npm settings that `npm run` exports for the calling project (its prefix, workspaces, …),
 * which would point the inner npm back at the repository.
 */
export function npmChildEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    const k = key.toLowerCase();
    if (
      k.startsWith('npm_package_') ||
      k.startsWith('npm_lifecycle_') ||
      k === 'npm_command' ||
      ['local_prefix', 'workspace', 'workspaces', 'include_workspace_root', 'ignore_scripts', 'omit', 'include', 'loglevel', 'global']
        .some((name) => k === `npm_config_${name}`)
    ) {
      delete env[key];
    }
  }
  return env;
}
