#!/usr/bin/env node
// Interop smoke client built on the official TypeScript MCP SDK (@modelcontextprotocol/sdk 1.x).
//
// Usage:
//   node ts_client.mjs <server-command> [server-args...]          # stdio
//   node ts_client.mjs --url http://127.0.0.1:3001/mcp             # Streamable HTTP
//
// Exercises: initialize, tools/list, tools/call (echo-style), tools/call with a
// progress token (expects >= MCP_MIN_PROGRESS notifications/progress),
// resources/list + resources/read, prompts/list + prompts/get, and a tool that makes
// the server send elicitation/create (answered automatically with "accept").
// Prints one line per check, then "N passed, N failed"; exits 1 on any failure.
//
// Everything is configurable through env vars (defaults fit
// @modelcontextprotocol/server-everything 2026.8.31):
//   MCP_ECHO_TOOL=echo              MCP_ECHO_ARGS='{"message":"hello interop"}'
//   MCP_ECHO_EXPECT='hello interop' (substring expected in the text result; "" disables)
//   MCP_PROGRESS_TOOL=trigger-long-running-operation
//   MCP_PROGRESS_ARGS='{"duration":1,"steps":3}'   MCP_MIN_PROGRESS=1
//   MCP_RESOURCE_URI=<uri>          (default: first entry of resources/list)
//   MCP_PROMPT=simple-prompt        MCP_PROMPT_ARGS='{}'
//   MCP_ELICIT_TOOL=trigger-elicitation-request   MCP_ELICIT_ARGS='{}'
//   MCP_ELICIT_CONTENT='{"name":"Interop Tester"}' (merged over values derived from requestedSchema)
//   MCP_SKIP='progress,elicitation'  (comma list of checks to skip: tools,call,progress,resource,prompt,elicitation)
//   MCP_TIMEOUT_MS=30000            per-request timeout
//   MCP_EXPECT_PROTOCOL=2025-11-25  fail the handshake check unless this version was negotiated
//   MCP_SERVER_ENV='{"RUST_LOG":"debug"}'  extra env for the spawned stdio server
//     (StdioClientTransport only inherits HOME, LOGNAME, PATH, SHELL, TERM, USER by default)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

const env = process.env;
const json = (name, dflt) => (env[name] !== undefined && env[name] !== '' ? JSON.parse(env[name]) : dflt);
const str = (name, dflt) => (env[name] !== undefined ? env[name] : dflt);

const cfg = {
  echoTool: str('MCP_ECHO_TOOL', 'echo'),
  echoArgs: json('MCP_ECHO_ARGS', { message: 'hello interop' }),
  echoExpect: str('MCP_ECHO_EXPECT', 'hello interop'),
  progressTool: str('MCP_PROGRESS_TOOL', 'trigger-long-running-operation'),
  progressArgs: json('MCP_PROGRESS_ARGS', { duration: 1, steps: 3 }),
  minProgress: Number(str('MCP_MIN_PROGRESS', '1')),
  resourceUri: str('MCP_RESOURCE_URI', ''),
  prompt: str('MCP_PROMPT', 'simple-prompt'),
  promptArgs: json('MCP_PROMPT_ARGS', {}),
  elicitTool: str('MCP_ELICIT_TOOL', 'trigger-elicitation-request'),
  elicitArgs: json('MCP_ELICIT_ARGS', {}),
  elicitContent: json('MCP_ELICIT_CONTENT', { name: 'Interop Tester' }),
  skip: new Set(str('MCP_SKIP', '').split(',').map(s => s.trim()).filter(Boolean)),
  timeout: Number(str('MCP_TIMEOUT_MS', '30000')),
  expectProtocol: str('MCP_EXPECT_PROTOCOL', ''),
};

const argv = process.argv.slice(2);
let url;
if (argv[0] === '--url') {
  url = argv[1];
  argv.splice(0, 2);
}
if (argv[0] === '--') argv.shift();
if (!url && argv.length === 0) {
  console.error('usage: node ts_client.mjs <server-command> [args...] | --url <http://host:port/mcp>');
  process.exit(2);
}

let passed = 0;
let failed = 0;
const results = [];
function ok(name, detail) {
  passed++;
  results.push(name);
  console.log(`PASS ${name}${detail ? ': ' + detail : ''}`);
}
function fail(name, err) {
  failed++;
  console.log(`FAIL ${name}: ${err instanceof Error ? err.stack || err.message : String(err)}`);
}
function skip(name) {
  console.log(`SKIP ${name}`);
}
const short = v => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 200 ? s.slice(0, 200) + '…' : s;
};
const textOf = result =>
  (result.content ?? []).filter(c => c.type === 'text').map(c => c.text).join('\n');

// Derive an accept-able answer from a (restricted) JSON schema, so the script
// also works against servers whose elicitation schema we do not know.
function valueFor(prop) {
  if (prop.default !== undefined) return prop.default;
  if (Array.isArray(prop.enum) && prop.enum.length) return prop.enum[0];
  if (Array.isArray(prop.oneOf) && prop.oneOf.length && prop.oneOf[0].const !== undefined) return prop.oneOf[0].const;
  switch (prop.type) {
    case 'boolean':
      return true;
    case 'integer':
      return prop.minimum ?? 1;
    case 'number':
      return prop.minimum ?? 1;
    case 'array': {
      const items = prop.items ?? {};
      const first = items.enum?.[0] ?? items.anyOf?.[0]?.const ?? items.oneOf?.[0]?.const ?? 'x';
      return [first];
    }
    default:
      if (prop.format === 'email') return 'interop@example.com';
      if (prop.format === 'uri') return 'https://example.com/';
      if (prop.format === 'date') return '2000-01-01';
      if (prop.format === 'date-time') return '2000-01-01T00:00:00Z';
      return 'interop';
  }
}
const elicitations = [];

const client = new Client(
  { name: 'interop-ts-client', version: '0.1.0' },
  {
    // Declaring the capability is mandatory: Client.assertRequestHandlerCapability throws
    // on setRequestHandler(ElicitRequestSchema) otherwise, and servers (e.g. server-everything)
    // only expose elicitation tools to clients that declared it.
    capabilities: { elicitation: { form: {} } },
  }
);
client.setRequestHandler(ElicitRequestSchema, async request => {
  const params = request.params;
  elicitations.push(params);
  if (params.mode === 'url') return { action: 'decline' };
  const content = {};
  const props = params.requestedSchema?.properties ?? {};
  for (const [k, p] of Object.entries(props)) content[k] = valueFor(p);
  Object.assign(content, cfg.elicitContent);
  // Only keep keys that are in the schema (a strict server may reject unknown keys).
  for (const k of Object.keys(content)) if (!(k in props)) delete content[k];
  console.log(`  <- elicitation/create "${short(params.message)}" answered accept ${short(content)}`);
  return { action: 'accept', content };
});
const notifications = [];
client.fallbackNotificationHandler = async n => {
  notifications.push(n.method);
};
client.onerror = e => console.error(`  [client onerror] ${e?.message ?? e}`);

let transport;
if (url) {
  transport = new StreamableHTTPClientTransport(new URL(url));
} else {
  const serverEnv = { ...getDefaultEnvironment(), ...json('MCP_SERVER_ENV', {}) };
  transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: serverEnv, stderr: 'inherit' });
}

// The SDK hands the negotiated version to transports that take one (the HTTP transport puts it
// in MCP-Protocol-Version); wrapping that hook records it on every transport, stdio included.
let negotiated;
const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
transport.setProtocolVersion = v => {
  negotiated = v;
  setProtocolVersion?.(v);
};

const watchdog = setTimeout(() => {
  console.log('FAIL watchdog: overall timeout (120s)');
  process.exit(1);
}, 120000);
watchdog.unref();

const reqOpts = { timeout: cfg.timeout };

try {
  await client.connect(transport, reqOpts);
  const sv = client.getServerVersion();
  const proto = negotiated;
  console.log(`  negotiated protocol ${proto} (offered ${LATEST_PROTOCOL_VERSION})`);
  if (cfg.expectProtocol && proto !== cfg.expectProtocol)
    throw new Error(`negotiated protocol ${proto}, expected ${cfg.expectProtocol}`);
  ok('initialize', `server=${sv?.name}@${sv?.version} protocol=${proto} caps=${Object.keys(client.getServerCapabilities() ?? {}).join(',')}`);
} catch (e) {
  fail('initialize', e);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(1);
}

let tools = [];
if (!cfg.skip.has('tools')) {
  try {
    const r = await client.listTools(undefined, reqOpts);
    tools = r.tools;
    ok('tools/list', `${tools.length} tools: ${tools.map(t => t.name).join(', ')}`);
  } catch (e) {
    fail('tools/list', e);
  }
} else skip('tools/list');

if (!cfg.skip.has('call')) {
  try {
    const r = await client.callTool({ name: cfg.echoTool, arguments: cfg.echoArgs }, undefined, reqOpts);
    if (r.isError) throw new Error('isError: ' + textOf(r));
    const t = textOf(r);
    if (cfg.echoExpect && !t.includes(cfg.echoExpect)) throw new Error(`result text ${short(t)} lacks ${cfg.echoExpect}`);
    ok(`tools/call ${cfg.echoTool}`, short(t));
  } catch (e) {
    fail(`tools/call ${cfg.echoTool}`, e);
  }
} else skip('tools/call');

if (!cfg.skip.has('progress')) {
  try {
    const seen = [];
    const r = await client.callTool({ name: cfg.progressTool, arguments: cfg.progressArgs }, undefined, {
      ...reqOpts,
      onprogress: p => {
        seen.push(p);
        console.log(`  <- progress ${p.progress}/${p.total ?? '?'}${p.message ? ' ' + p.message : ''}`);
      },
      resetTimeoutOnProgress: true,
    });
    if (r.isError) throw new Error('isError: ' + textOf(r));
    if (seen.length < cfg.minProgress) throw new Error(`only ${seen.length} progress notifications (< ${cfg.minProgress})`);
    for (let i = 1; i < seen.length; i++)
      if (!(seen[i].progress > seen[i - 1].progress)) throw new Error('progress not increasing: ' + short(seen));
    ok(`tools/call ${cfg.progressTool} with progress`, `${seen.length} notifications; ${short(textOf(r))}`);
  } catch (e) {
    fail(`tools/call ${cfg.progressTool} with progress`, e);
  }
} else skip('progress');

if (!cfg.skip.has('resource')) {
  try {
    let uri = cfg.resourceUri;
    const list = await client.listResources(undefined, reqOpts);
    const tmpl = await client.listResourceTemplates(undefined, reqOpts).catch(() => ({ resourceTemplates: [] }));
    console.log(`  resources/list: ${list.resources.length} (nextCursor=${list.nextCursor ?? 'none'}), templates: ${tmpl.resourceTemplates.map(t => t.uriTemplate).join(', ')}`);
    if (!uri) {
      if (!list.resources.length) throw new Error('resources/list is empty and MCP_RESOURCE_URI not set');
      uri = list.resources[0].uri;
    }
    const r = await client.readResource({ uri }, reqOpts);
    if (!r.contents?.length) throw new Error('no contents');
    const c = r.contents[0];
    ok(`resources/read ${uri}`, `${r.contents.length} content(s), mimeType=${c.mimeType}, ${'text' in c ? 'text ' + c.text.length + ' chars' : 'blob ' + c.blob.length + ' b64 chars'}`);
  } catch (e) {
    fail('resources/read', e);
  }
} else skip('resources/read');

if (!cfg.skip.has('prompt')) {
  try {
    const list = await client.listPrompts(undefined, reqOpts);
    console.log(`  prompts/list: ${list.prompts.map(p => p.name).join(', ')}`);
    const r = await client.getPrompt({ name: cfg.prompt, arguments: cfg.promptArgs }, reqOpts);
    if (!r.messages?.length) throw new Error('no messages');
    ok(`prompts/get ${cfg.prompt}`, `${r.messages.length} message(s): ${short(r.messages[0].content)}`);
  } catch (e) {
    fail(`prompts/get ${cfg.prompt}`, e);
  }
} else skip('prompts/get');

if (!cfg.skip.has('elicitation')) {
  try {
    const before = elicitations.length;
    const r = await client.callTool({ name: cfg.elicitTool, arguments: cfg.elicitArgs }, undefined, reqOpts);
    if (r.isError) throw new Error('isError: ' + textOf(r));
    if (elicitations.length === before) throw new Error('server never sent elicitation/create');
    ok(`tools/call ${cfg.elicitTool} (elicitation answered)`, short(textOf(r)));
  } catch (e) {
    fail(`tools/call ${cfg.elicitTool} (elicitation)`, e);
  }
} else skip('elicitation');

if (notifications.length) console.log(`  other notifications received: ${[...new Set(notifications)].join(', ')}`);
try {
  if (url) await transport.terminateSession().catch(() => {});
  await client.close();
} catch (e) {
  console.error('close error', e);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
