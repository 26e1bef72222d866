/** App settings as the host hands them over (process.env, or a test's object). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The setting's value trimmed, or undefined when it is absent or blank (a blank app setting means "unset"). */
export function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
