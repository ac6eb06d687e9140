/**
 * `{ ...defaults, ...options }`, except that an option given as `undefined` (e.g. straight from an
 * unset config key) keeps its default instead of erasing it.
 */
export function withDefaults<T extends object>(defaults: T, options: Partial<T>): T {
  const out = { ...defaults };
  for (const key of Object.keys(options) as (keyof T)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value as T[keyof T];
  }
  return out;
}
