/*
 * Just enough of the Dockerfile syntax to check the images' shape without a Docker engine:
 * instructions (continuation lines joined, comments and parser directives dropped) grouped by
 * build stage. Not a general parser: no heredocs, no escape directive.
 */

export interface Instruction {
  /** Upper-cased: FROM, RUN, COPY... */
  readonly keyword: string;
  /** The rest of the line, continuations joined with a space. */
  readonly args: string;
}

export interface Stage {
  /** The image or stage it starts from, as written (`${NODE_IMAGE}`, `build`). */
  readonly from: string;
  /** `AS name`, or undefined. */
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (pending !== "" && line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1).trimEnd() + " ";
      continue;
    }
    const whole = (pending + line).trim();
    pending = "";
    const m = /^(\S+)\s*(.*)$/s.exec(whole);
    if (m !== null) out.push({ keyword: (m[1] ?? "").toUpperCase(), args: (m[2] ?? "").trim() });
  }
  return out;
}

/** The build stages in order; instructions before the first FROM (global ARGs) are left out. */
export function parseStages(text: string): Stage[] {
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const i of parseInstructions(text)) {
    if (i.keyword === "FROM") {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const as = words.findIndex((w) => w.toUpperCase() === "AS");
      stages.push({ from: words[0] ?? "", name: as >= 0 ? words[as + 1] : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(i);
    }
  }
  return stages;
}

export interface CopyInstruction {
  /** The `--from=` stage or image, undefined for the build context. */
  readonly from: string | undefined;
  readonly chown: string | undefined;
  readonly sources: readonly string[];
  readonly dest: string;
}

/** A COPY (or ADD) in shell form or JSON form. */
export function parseCopy(args: string): CopyInstruction {
  const words = args.split(/\s+/).filter((w) => w !== "");
  const flags = new Map<string, string>();
  while (words[0]?.startsWith("--")) {
    const [k, v] = (words.shift() ?? "").slice(2).split("=", 2);
    flags.set(k ?? "", v ?? "");
  }
  const rest = words.join(" ");
  const paths: string[] = rest.startsWith("[") ? (JSON.parse(rest) as string[]) : words;
  return { from: flags.get("from"), chown: flags.get("chown"), sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" };
}

/** CMD or ENTRYPOINT in exec form (a JSON array); undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const v = JSON.parse(args) as unknown;
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;
}
