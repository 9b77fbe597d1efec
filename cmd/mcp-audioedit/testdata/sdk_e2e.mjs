// Drives the stdio binary with the official TypeScript SDK client:
// upload -> edit -> state with waveform -> preview -> export as a task
// (polled to completion) -> resources/read of the export. Prints one JSON
// line for the Go test (npm_test.go) to check; files go to OUT_DIR.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const sdk = process.env.SDK_DIR;
const { Client } = await import(join(sdk, "dist/esm/client/index.js"));
const { StdioClientTransport } = await import(join(sdk, "dist/esm/client/stdio.js"));
const types = await import(join(sdk, "dist/esm/types.js"));

const out = process.env.OUT_DIR;
const transport = new StdioClientTransport({
  command: process.env.BIN, args: ["stdio"],
  env: JSON.parse(process.env.SERVER_ENV), stderr: "inherit",
});
const client = new Client({ name: "sdk-e2e", version: "0" }, { capabilities: {} });
await client.connect(transport);

const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name}: ${r.content.map((c) => c.text).join(" ")}`);
  return r;
};
const report = {};

const up = await call("upload", { paths: [process.env.WAV] });
report.session = up.structuredContent.session_id;
await call("edit", { instruction: "remove background noise and trim silence" });

const st = await call("state", { waveform: true });
const img = st.content.find((c) => c.type === "image");
const png = Buffer.from(img.data, "base64");
writeFileSync(join(out, "waveform.png"), png);
report.png = { mime: img.mimeType, path: join(out, "waveform.png") };

const pv = await call("preview", { at_s: 4, duration_s: 6 });
report.preview = pv.content.filter((c) => c.type === "audio").map((c, i) => {
  const p = join(out, `preview-${i}.mp3`);
  writeFileSync(p, Buffer.from(c.data, "base64"));
  return { mime: c.mimeType, path: p };
});
report.preview_out = pv.structuredContent;

// export as a task: the create result comes at once, then poll tasks/get.
const created = await client.request(
  { method: "tools/call", params: { name: "export", arguments: { format: "mp3", output_path: process.env.EXPORT_PATH }, task: { ttl: 600000 } } },
  types.CreateTaskResultSchema);
const taskId = created.task.taskId;
report.task = { id: taskId, first: created.task.status, polls: 0 };
let task = created.task;
while (task.status === "working" || task.status === "input_required") {
  await new Promise((r) => setTimeout(r, 200));
  task = await client.request({ method: "tasks/get", params: { taskId } }, types.GetTaskResultSchema);
  report.task.polls++;
}
report.task.final = task.status;
const result = await client.request({ method: "tasks/result", params: { taskId } }, types.CallToolResultSchema);
report.export = result.structuredContent;
if (result.isError) throw new Error("export task: " + result.content.map((c) => c.text).join(" "));

const link = result.content.find((c) => c.type === "resource_link" && c.uri.startsWith("audioedit://"));
const rd = await client.readResource({ uri: link.uri });
const blob = Buffer.from(rd.contents[0].blob, "base64");
writeFileSync(join(out, "resource.mp3"), blob);
report.resource = { uri: link.uri, mime: rd.contents[0].mimeType, path: join(out, "resource.mp3") };

console.log(JSON.stringify(report));
await client.close();
