export {
  AGENT_LOG_NAME,
  AGENT_PIDFILE_NAME,
  type BastilleDriverSeams,
  createBastilleDriver,
  HANDLERS_MOUNT,
  PACKAGE_MOUNT,
} from './bastille/bastille-driver.js';
export {
  type BastilleDriverLogger,
  type BastilleDriverOptions,
  checkJailAddress,
  DEFAULT_BASTILLE_PREFIX,
} from './bastille/bastille-driver-options.js';
export { BASTILLE_RECORD_FILE } from './bastille/bastille-jail-record.js';
export { type BastilleVersion, destroyArgs, parseBastilleVersion } from './bastille/bastille-version.js';
export type {
  AgentLaunch,
  AgentRuntime,
  DaemonEndpoint,
  JailDriver,
  JailDriverKind,
  JailInfo,
  JailOwner,
  JailSpec,
  JailStatus,
  PreflightCheck,
  PreflightReport,
} from './jail-driver.js';
export {
  DEFAULT_AGENT_USER,
  DEFAULT_BASTILLE_JAILS_DIR,
  jailHomePath,
  readJailOwner,
} from './jail-layout.js';
export { checkLaunchAgainstRecord, type LaunchableRecord } from './launch-checks.js';
export {
  type LaunchSettings,
  launchSettingsChanges,
  launchSettingsSchema,
  normalizeLaunchSettings,
} from './launch-settings.js';
export { CAPABILITIES, hasCapability, parseCapEff } from './linux/cap-eff.js';
export { closeInheritedDescriptors, inheritedDescriptors } from './linux/inherited-descriptors.js';
export { keyringFilter, keyringFilterArchitectures } from './linux/keyring-filter.js';
export { createLinuxDriver, JAIL_LAYOUT } from './linux/linux-driver.js';
export {
  DEFAULT_LINUX_JAIL_ROOT,
  DEFAULT_TMPFS_SIZE_BYTES,
  type LinuxDriverLogger,
  type LinuxDriverOptions,
  SYSTEM_BIN_DIRS,
  TMPFS_SIZE_LIMITS,
} from './linux/linux-driver-options.js';
export {
  buildSandboxArgv,
  hostSystemDirs,
  SANDBOX_ENV,
  SANDBOX_PATHS,
  type SandboxSpec,
  type SystemDir,
  sandboxUserDatabase,
} from './linux/sandbox-argv.js';
export { checkJailName, checkJailSpec, checkLaunchNames } from './names.js';
export { type CommandResult, type RunCommandOptions, runCommand } from './run-command.js';
export {
  installationRoot,
  type LocateColibriRuntimeOptions,
  locateColibriRuntime,
  RUNTIME_AGENT_ENTRY,
  RUNTIME_ENTRY_CANDIDATES,
  type RuntimeFileSystem,
} from './runtime/locate-colibri-runtime.js';
