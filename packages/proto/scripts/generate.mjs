// Regenerates src/gen from ../../proto with buf and ts-proto (both pinned devDependencies), so the
// output depends only on the .proto files and the lockfile. `--check` fails when the committed
// output differs from what the .proto files give (CI runs it).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const protoDir = join(pkg, "..", "..", "proto");
const genDir = join(pkg, "src", "gen");
const check = process.argv.includes("--check");

const buf = join(pkg, "node_modules", ".bin", "buf");
const plugin = join(pkg, "node_modules", ".bin", "protoc-gen-ts_proto");
const out = mkdtempSync(join(tmpdir(), "sipfleet-proto-"));
try {
  const template = JSON.stringify({
    version: "v2",
    plugins: [{ local: plugin, out, opt: readOptions() }],
  });
  execFileSync(buf, ["lint"], { cwd: protoDir, stdio: "inherit" });
  execFileSync(buf, ["generate", "--template", template], { cwd: protoDir, stdio: "inherit" });
  if (check) {
    const diff = compareTrees(out, genDir);
    if (diff.length > 0) {
      console.error(`packages/proto/src/gen is stale (run \`pnpm proto:generate\`):\n  ${diff.join("\n  ")}`);
      process.exit(1);
    }
    console.log("proto: generated code is up to date");
  } else {
    rmSync(genDir, { recursive: true, force: true });
    cpSync(out, genDir, { recursive: true });
    console.log(`proto: generated ${listFiles(genDir).length} files into ${relative(process.cwd(), genDir) || "."}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}

// The plugin options live in proto/buf.gen.yaml so that `buf generate` run by hand gives the same
// output; only the paths differ here.
function readOptions() {
  const text = readFileSync(join(protoDir, "buf.gen.yaml"), "utf8");
  const opts = [];
  let inOpt = false;
  for (const line of text.split("\n")) {
    if (/^\s+opt:\s*$/.test(line)) {
      inOpt = true;
      continue;
    }
    const m = inOpt ? /^\s+-\s+(\S+)\s*$/.exec(line) : null;
    if (m) opts.push(m[1]);
    else inOpt = false;
  }
  if (opts.length === 0) throw new Error("proto/buf.gen.yaml: no plugin opt list found");
  return opts;
}

function listFiles(dir) {
  const files = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(dir, p));
    }
  };
  walk(dir);
  return files.sort();
}

function compareTrees(a, b) {
  let bFiles = [];
  try {
    bFiles = listFiles(b);
  } catch {
    return ["(missing) src/gen"];
  }
  const aFiles = listFiles(a);
  const diff = [];
  for (const f of new Set([...aFiles, ...bFiles])) {
    if (!aFiles.includes(f)) diff.push(`extra: ${f}`);
    else if (!bFiles.includes(f)) diff.push(`missing: ${f}`);
    else if (!readFileSync(join(a, f)).equals(readFileSync(join(b, f)))) diff.push(`differs: ${f}`);
  }
  return diff;
}
