'use strict';
// Seeded PRNG and argument generators for the fuzzer. Every generator returns
// {sql, hz}: a SQL expression, and the SQLSTATEs Postgres itself may raise for that
// expression before our code runs (type input, limits, call resolution). The fuzzer allows
// a Postgres-raised SQLSTATE only when an argument of the call carries it as a hazard.

// mulberry32: small, fast, and the same sequence on every platform.
function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    // weighted([[w, value-or-fn], ...]): picks by weight; functions are called.
    weighted: (pairs) => {
      let total = 0;
      for (const [w] of pairs) total += w;
      let r = next() * total;
      for (const [w, v] of pairs) {
        r -= w;
        if (r < 0) return typeof v === 'function' ? v() : v;
      }
      const last = pairs[pairs.length - 1][1];
      return typeof last === 'function' ? last() : last;
    },
    shuffle: (arr) => {
      const a = arr.slice();
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    },
  };
  return rng;
}

// A SQL string literal (standard_conforming_strings is on). Never called with NUL.
const q = (s) => "'" + String(s).replace(/'/g, "''") + "'";
// A quoted identifier.
const qi = (s) => '"' + String(s).replace(/"/g, '""') + '"';

const v = (sql, ...hz) => ({ sql, hz });

// Strings that stress quoting, format strings and SQL injection in messages and statements.
const HOSTILE = [
  "it's", 'say "hi"', 'back\\slash', '\\', '$$', '$fz$', '%s%s%s%n%d', '%', '%%',
  "'; DROP TABLE dbos.workflow_status; --", "a''b", '\\x00', '--', '/*', '*/', '::', '$1',
  '{}', '[]', 'null', 'NULL', ' lead', 'trail ', 'tab\there', 'new\nline', 'cr\rret', 'del\x7f',
  '\x01\x02\x1f', '"', '""', "'", '\\"', 'a.b.c', 'a,b', 'x=y', '=', '__null__topic__',
  '_dbos_internal_queue', 'SUCCESS', '::x', 'id::text', 'E\'\\n\'', '<script>', '{"json":1}',
];
const UNICODE = [
  'ü', 'Ünïcödé', '日本語', '🦄🔥', '\u202eevil', 'e\u0301', 'zero\u200bwidth', '\ufeffbom', 'ﬀ',
  'Ω≈ç√∫', '𝕏𝕐', '\u00a0nbsp', 'ǅ', 'İı', 'ß', 'Я', 'عربى', '\u2028sep', '\ud83d\udc68\u200d\ud83d\udc69',
  'Ⅻ', '\u0300', '\uffff', '\ue000', 'ÿ', 'µ',
];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'w', 'x', 'Order', 'process', 'q1', 'k', 'v2'];

function randomUnicode(rng, n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.int(10);
    let cp;
    if (r < 3) cp = rng.range(0x20, 0x7e);
    else if (r < 6) cp = rng.range(0xa0, 0x7ff);
    else if (r < 8) cp = rng.range(0x800, 0xd7ff);
    else if (r < 9) cp = rng.range(0xe000, 0xfffc);
    else cp = rng.range(0x10000, 0x10ffff);
    if (cp === 0xfffd) cp = 0xfffc; // U+FFFD marks invalid UTF-8 from the server
    s += String.fromCodePoint(cp);
  }
  return s;
}

const utf8len = (s) => Buffer.byteLength(s, 'utf8');

// Long strings as SQL expressions (compact in a reproduction script).
function longText(rng, tag) {
  const n = rng.pick([255, 256, 1000, 2047, 2049, 4096, 7990, 7997, 8000, 65536, 1048576]);
  const ch = rng.pick(['x', 'x', 'é', '🦄', "'", '"']);
  const bytes = n * utf8len(ch);
  // Long keys may exceed the btree limit (54000) or class/config's varchar(255) (22001).
  const hz = bytes > 2000 ? ['54000'] : [];
  if (rng.chance(0.3)) {
    // Incompressible: md5 chains.
    const k = Math.max(1, Math.floor(n / 32));
    return v(`(SELECT pg_catalog.string_agg(pg_catalog.md5(i::text || ${q(tag)}), '') FROM pg_catalog.generate_series(1, ${k}) i)`,
      ...(k * 32 > 2000 ? ['54000'] : []));
  }
  return v(`pg_catalog.repeat(${q(ch)}, ${n})`, ...hz);
}

// A text argument. opts: {pool: [..], poolP, nullP, emptyP, wrongTypeP, longP}
function genText(rng, opts = {}) {
  const pool = opts.pool || [];
  const poolP = pool.length ? (opts.poolP ?? 0.5) : 0;
  const nullP = opts.nullP ?? 0.08;
  const emptyP = opts.emptyP ?? 0.04;
  const longP = opts.longP ?? 0.04;
  const wrongTypeP = opts.wrongTypeP ?? 0.01;
  const tag = opts.tag || 't';
  return rng.weighted([
    [poolP, () => v(q(rng.pick(pool)))],
    [nullP, () => v(rng.chance(0.8) ? 'NULL' : 'NULL::text')],
    [emptyP, () => v("''")],
    [0.03, () => v(q(rng.pick([' ', '   ', '\t', '\n', ' \t\r\n\f\v'])))],
    [0.25, () => v(q(rng.pick(WORDS) + (rng.chance(0.5) ? '_' + rng.int(1000) : '')))],
    [0.1, () => v(q(rng.pick(HOSTILE)))],
    [0.1, () => v(q(rng.chance(0.5) ? rng.pick(UNICODE) : randomUnicode(rng, rng.range(1, 40))))],
    [longP, () => longText(rng, tag)],
    [opts.nulP ?? 0.005, () => v(`('a' || pg_catalog.chr(0))`, '54000')],
    [0.01, () => v(`${q(rng.pick(WORDS))}::varchar(3)`)],
    [0.01, () => v(`${q(rng.pick(WORDS))}::name`)],
    [wrongTypeP, () => v(rng.pick(['123', '1.5', 'true', "'{}'::jsonb", 'NULL::int', "'1 s'::interval"]), '42883')],
  ]);
}

// --- JSON -------------------------------------------------------------------------------

const JSON_KEYS = ['a', 'b', 'json', 'meta', 'values', '__dbos_serializer', 'positionalArgs', 'namedArgs',
  'dbos_type', 'dbos_data', '__dbos_opaque__', 'message', 'name', 'code', '', ' ', 'ключ', '🦄', 'a.b', '0'];

function randomNumberText(rng) {
  return rng.pick(['0', '-0', '1', '-1', '0.1', '1e308', '-1e308', '5e-324', '2.2250738585072014e-308',
    '9007199254740993', '18446744073709551616', '-9223372036854775809', '123456789012345678901234567890',
    '1.5e300', '1E+2', '3.141592653589793238462643383279', '1e-7', '100', '2147483647', '-2147483648']);
}

// A random JSON value as text. Stays valid for jsonb (no \u0000, no lone surrogates).
function randomJsonText(rng, depth = 0, maxDepth = 4) {
  const leaf = depth >= maxDepth || rng.chance(0.45);
  if (leaf) {
    return rng.weighted([
      [1, 'null'], [1, 'true'], [1, 'false'],
      [3, () => randomNumberText(rng)],
      [4, () => JSON.stringify(rng.weighted([
        [3, () => rng.pick(WORDS)], [1, () => rng.pick(HOSTILE)], [1, () => rng.pick(UNICODE)],
        [1, () => randomUnicode(rng, rng.range(0, 20))], [0.3, () => 'é'.repeat(rng.range(1, 3000))],
        [0.3, () => rng.pick(['Date', 'bigint', 'map', 'set', 'undefined', 'number', '-0', 'NaN', 'Infinity', '__DBOS_NIL'])],
      ]))],
      [0.3, () => rng.pick(['"\\u00e9"', '"\\ud83e\\udd84"', '"\\/\\b\\f\\n\\r\\t"', '"\\u0001"'])],
    ]);
  }
  if (rng.chance(0.5)) {
    const n = rng.int(5);
    const items = [];
    for (let i = 0; i < n; i++) items.push(randomJsonText(rng, depth + 1, maxDepth));
    return '[' + items.join(rng.chance(0.9) ? ',' : ' , ') + ']';
  }
  const n = rng.int(5);
  const items = [];
  for (let i = 0; i < n; i++) {
    items.push(JSON.stringify(rng.chance(0.7) ? rng.pick(JSON_KEYS) : randomUnicode(rng, rng.range(0, 6))) + ':' +
      randomJsonText(rng, depth + 1, maxDepth));
  }
  return '{' + items.join(',') + '}';
}

// A jsonb argument; want = 'array' | 'object' | 'any'.
function genJson(rng, want, opts = {}) {
  const nullP = opts.nullP ?? 0.06;
  const shape = () => {
    if (want === 'array') return '[' + Array.from({ length: rng.int(4) }, () => randomJsonText(rng, 1)).join(',') + ']';
    if (want === 'object') {
      const n = rng.int(4);
      return '{' + Array.from({ length: n }, () => JSON.stringify(rng.pick(JSON_KEYS)) + ':' + randomJsonText(rng, 1)).join(',') + '}';
    }
    return randomJsonText(rng);
  };
  const lit = (text) => (rng.chance(0.7) ? v(q(text)) : v(`${q(text)}::jsonb`));
  const wrap = (inner) => {
    if (want === 'array') return `('[' || ${inner} || ']')`;
    if (want === 'object') return `('{"a":' || ${inner} || '}')`;
    return inner;
  };
  return rng.weighted([
    [nullP, () => v(rng.chance(0.7) ? 'NULL' : 'NULL::jsonb')],
    [0.55, () => lit(shape())],
    // Every other jsonb type where an array or object is expected.
    [0.14, () => lit(rng.pick(['null', 'true', 'false', '0', '-0', '1e400', '"s"', '""', '[]', '{}', '[[]]',
      '{"positionalArgs":[1]}', '[null]', '{"json":[1],"__dbos_serializer":"superjson"}']))],
    // Literals jsonb itself refuses: 22P02 (syntax), 22P05 (\u0000).
    [0.03, () => v(`${q(rng.pick(['{', '[1,]', 'NaN', "{'a':1}", '', ' ', '[1] x', '"\\ud800"', 'undefined', '01']))}::jsonb`, '22P02')],
    [0.01, () => v(`${q(rng.pick(['"\\u0000"', '["\\u0000"]', '{"\\u0000":1}']))}::jsonb`, '22P05', '22P02')],
    // Deeply nested.
    [0.04, () => {
      const d = rng.pick([10, 100, 500, 998, 999, 1000, 1001, 1500, 5000, 20000]);
      const hz = d >= 900 ? ['54001'] : [];
      const inner = rng.chance(0.5) ? `pg_catalog.repeat('[', ${d}) || pg_catalog.repeat(']', ${d})`
        : `pg_catalog.repeat('{"a":', ${d}) || '1' || pg_catalog.repeat('}', ${d})`;
      return v(`(${wrap(inner)})::jsonb`, ...hz);
    }],
    // Huge.
    [0.025, () => rng.pick([
      () => v(want === 'object' ? `(SELECT pg_catalog.jsonb_object_agg('k' || i, i) FROM pg_catalog.generate_series(1, ${rng.pick([1000, 50000])}) i)`
        : `(SELECT pg_catalog.jsonb_agg(i) FROM pg_catalog.generate_series(1, ${rng.pick([1000, 30000, 100000])}) i)`),
      () => v(want === 'object' ? `pg_catalog.jsonb_build_object('big', pg_catalog.repeat(${q(rng.pick(['x', 'é', '🦄']))}, 1048576))`
        : `pg_catalog.jsonb_build_array(pg_catalog.repeat(${q(rng.pick(['x', 'é', '🦄']))}, 1048576))`),
      () => v(`(${wrap(`'"' || pg_catalog.repeat('\\\\', 200000) || '"'`)})::jsonb`),
    ])()],
    // Numbers at and beyond double range, kept exactly by jsonb.
    [0.03, () => lit(want === 'object' ? `{"n":${rng.pick(['1e400', '1e-1001', '123456789012345678901234567890', '-0', '1.5e300'])}}`
      : `[${rng.pick(['1e400', '1e-1000', '123456789012345678901234567890', '-0', '1.5e300', '0.' + '0'.repeat(400) + '1'])}]`)],
  ]);
}

// --- intervals, floats, integers ----------------------------------------------------------

const INTERVALS_OK = ['0', '0 s', '1 microsecond', '1 ms', '0.5 ms', '1 s', '10 minutes', '1 hour', '1 day', '1 mon',
  '1 year', '99999 years', '100000 years', '142808 years', '142809 years', '-1 s', '-1 microsecond',
  '1 mon -30 days', '1 day -24 hours', '1 day -86400000001 microseconds', '-1 day 86400000001 microseconds',
  '2147483647 days', '-2147483648 days', '2147483647 mons', '2147483647 hours', '@ 1 minute ago',
  'P1Y2M3DT4H5M6S', 'PT0.000001S', '00:00:00.000001', '-00:00:00.000001', '178000000 years', '-178000000 years',
  '1 mon -2592000 s', '3 days 1 s'];
const INTERVALS_BAD = ['infinity', '-infinity', 'soon', '', 'NaN', '1 fortnight', '2147483648 days', '9999999999 years',
  '1e400 s', '9223372036854775807 microseconds', 'P', '1 s s'];
const INTERVAL_HZ = ['22007', '22008', '22015'];

function genInterval(rng, opts = {}) {
  const nullP = opts.nullP ?? 0.4;
  return rng.weighted([
    [nullP, () => v(rng.chance(0.8) ? 'NULL' : 'NULL::interval')],
    [0.45, () => v(q(rng.pick(INTERVALS_OK)), ...INTERVAL_HZ)],
    [0.06, () => v(`${q(rng.pick(INTERVALS_BAD))}::interval`, ...INTERVAL_HZ)],
    [0.04, () => v(`pg_catalog.make_interval(${rng.pick(['years', 'months', 'days', 'hours', 'secs'])} => ${rng.pick(['1', '-1', '0', '178000000', '2147483647', "'NaN'::float8", '1e300', '0.000001'])})`, ...INTERVAL_HZ, '22P02', '42883')],
    [0.03, () => v(`(interval '1 s' * ${rng.pick(['1e300', '-1', '0', '1e-9', '4.6e15'])})`, ...INTERVAL_HZ)],
    [0.01, () => v(rng.pick(['1', "'1 s'::text", '1.5']), '42883')],
  ]);
}

// timeout_seconds (double precision). Returns {sql, hz, unbounded}: unbounded means the
// call may wait longer than ~50 ms, so the fuzzer cuts it with a short statement_timeout.
function genSeconds(rng) {
  return rng.weighted([
    [0.3, () => ({ ...v('0'), unbounded: false })],
    [0.03, () => ({ ...v("'-0'"), unbounded: false })],
    [0.2, () => ({ ...v(rng.pick(['0.001', '0.0001', '1e-300', "'5e-324'", '0.002', '0.01', "0::int", '0.005::numeric'])), unbounded: false })],
    [0.05, () => ({ ...v(rng.pick(['0.03', '0.05'])), unbounded: false })],
    [0.1, () => ({ ...v(rng.pick(['-1', '-1e-300', "'-Infinity'", '-0.001', "'NaN'", "'nan'::float8", '-1e308'])), unbounded: false })],
    [0.06, () => ({ ...v(rng.pick(['NULL', "'Infinity'", '1e12', '1e13', '1e308', '60', '1', "'inf'"])), unbounded: true })],
    [0.02, () => ({ ...v(rng.pick(["'1e309'", "'abc'", "''"]), '22003', '22P02'), unbounded: true })],
    [0.01, () => ({ ...v(rng.pick(["'1'::text", "'1 s'::interval"]), '42883'), unbounded: true })],
  ]);
}

function genPriority(rng) {
  return rng.weighted([
    [0.45, () => v('NULL')],
    [0.3, () => v(rng.pick(['0', '1', '5', '100', '2147483647', '2147483646']))],
    [0.1, () => v(rng.pick(['-1', '-2147483648', '(-2147483647 - 1)', '-100']))],
    [0.05, () => v(rng.pick(["'2147483648'", "'-2147483649'", "'99999999999'"]), '22003')],
    [0.03, () => v(rng.pick(["'1.5'", "'abc'", "''"]), '22P02')],
    [0.03, () => v(rng.pick(['2147483648', '1.5', '3::bigint', "'1'::text", 'true']), '42883')],
    [0.02, () => v(rng.pick(['3::smallint', "'7'"]))],
  ]);
}

// --- stored payloads (what other SDKs or a broken writer may leave in the tables) --------

function base64(s) { return Buffer.from(s, 'utf8').toString('base64'); }
function base64sql(t) {
  if (typeof t === 'string') return base64(t);
  return { sql: `pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to(${t.sql}, 'UTF8'), 'base64'), E'\\n', '')` };
}

// Paths of a JSON value in superjson notation ("a.0.b"), for meta annotations.
function jsonPaths(value, prefix = '', out = []) {
  if (out.length > 40) return out;
  if (Array.isArray(value)) value.forEach((e, i) => { out.push(prefix + i); jsonPaths(e, prefix + i + '.', out); });
  else if (value && typeof value === 'object') for (const k of Object.keys(value)) { out.push(prefix + k); jsonPaths(value[k], prefix + k + '.', out); }
  return out;
}

function randomAnnotation(rng, paths, depth = 0) {
  const type = rng.pick(['Date', 'bigint', 'map', 'set', 'undefined', 'number', 'regexp', 'URL', 'Error', 'symbol',
    ['class', 'Foo'], ['custom', 'Decimal'], ['symbol', 'x'], 'nonsense', 7, null, {}]);
  if (depth < 3 && rng.chance(0.3)) {
    const tree = {};
    for (let i = 0; i < rng.int(3); i++) tree[rng.pick(['0', '1', '0.0', '0.1', 'a', ''])] = randomAnnotation(rng, paths, depth + 1);
    return [type, tree];
  }
  return rng.chance(0.9) ? [type] : rng.pick([type, [], [[type]], 'x']);
}

function superjsonText(rng) {
  let json;
  try { json = JSON.parse(randomJsonText(rng)); } catch (e) { json = [1]; }
  if (rng.chance(0.3)) json = [['k', 1], ['k2', [1, 2]], [3, 'x'], ['a', { b: '5' }]];
  if (rng.chance(0.2)) json = { a: '123', b: ['-0', 'NaN', '9223372036854775808'], c: [['x', 1]] };
  const paths = jsonPaths(json);
  const doc = { json };
  if (rng.chance(0.85)) {
    const values = {};
    for (let i = 0; i < rng.int(5); i++) values[rng.chance(0.8) && paths.length ? rng.pick(paths) : rng.pick(['', 'x.y', '0.0.0', 'a..b', '.', '99'])] = randomAnnotation(rng, paths);
    doc.meta = rng.weighted([[6, { values }], [1, { values: randomAnnotation(rng, paths) }], [1, { values: 5 }], [1, 'meta'],
      [1, { values, referentialEqualities: { a: ['b'] } }]]);
  }
  if (rng.chance(0.85)) doc.__dbos_serializer = rng.chance(0.9) ? 'superjson' : rng.pick(['SuperJSON', 1, null]);
  let text = JSON.stringify(doc);
  if (rng.chance(0.03)) { // nested past the 1000-level limit
    const d = rng.pick([999, 1001, 3000]);
    text = `{"json":${'['.repeat(d)}${']'.repeat(d)},"__dbos_serializer":"superjson"}`;
  }
  return text;
}

function legacyText(rng) {
  const wrapped = { dbos_type: rng.pick(['dbos_Date', 'dbos_BigInt', 'x']), dbos_data: JSON.parse(randomJsonText(rng, 2)) };
  const doc = rng.pick([wrapped, [wrapped, 1], { a: wrapped, b: { dbos_type: 'x', dbos_data: wrapped } },
    { dbos_type: 'x', dbos_data: 1, extra: 2 }, { positionalArgs: [wrapped] }]);
  return JSON.stringify(doc);
}

// Payload text for a serialization tag; sometimes not what the tag promises.
function payloadText(rng, tag, kind) {
  const validJson = () => {
    let t = randomJsonText(rng);
    if (kind === 'inputs' && rng.chance(0.7)) t = `{"positionalArgs":[${t}]${rng.chance(0.3) ? ',"namedArgs":{"k":1}' : ''}}`;
    if (kind === 'error' && rng.chance(0.7)) t = errorText(rng);
    return t;
  };
  const weird = () => rng.pick([
    '', ' ', 'not json', '{', '[1,]', '"unterminated', 'NaN', 'Infinity', "{'a':1}", '{"a":1} trailing', '1 2',
    '"\\u0000"', '["\\u0000"]', '"\\ud800"', '\ufeff[1]', '\ufeff{"positionalArgs":[1]}', '1e-1001', '[1e-5000]',
    '0.' + '0'.repeat(20000) + '1', '1e400', '-', '01', '[' + '1,'.repeat(3) + ']', '\u0001', '"\u0001"', '[1]\n\t ',
    '\t[1]', '\u00a0[1]', '\u2028[1]', 'null', '"only a string"', '{"json":1}', '{"__dbos_serializer":"superjson"}',
    '['.repeat(1001) + ']'.repeat(1001),
    { sql: "(pg_catalog.repeat('[', 100000) || pg_catalog.repeat(']', 100000))" },
    { sql: "('{\"a\":' || pg_catalog.repeat('[', 3000) || pg_catalog.repeat(']', 3000) || '}')" },
    { sql: "pg_catalog.repeat('é', 5000)" },
  ]);
  switch (tag) {
    case 'portable_json':
      return rng.chance(0.75) ? validJson() : weird();
    case 'js_superjson':
      return rng.chance(0.8) ? superjsonText(rng) : weird();
    case null:
      return rng.weighted([[3, () => legacyText(rng)], [3, () => superjsonText(rng)], [3, validJson], [2, weird]]);
    case 'DBOS_JSON':
      return rng.weighted([[4, () => base64(validJson())], [1, '__DBOS_NIL'], [2, () => base64sql(weird())],
        [1, () => rng.pick(['abc', '====', 'ab=c', 'YQ', 'YQ==YQ==', '!!!!', '', 'eyJhIjox'])]]);
    default:
      return rng.weighted([[2, validJson], [2, weird], [1, () => randomUnicode(rng, rng.range(0, 50))]]);
  }
}

function errorText(rng) {
  const message = rng.pick([() => 'boom', () => 'é'.repeat(rng.pick([500, 1023, 1024, 1025, 3000])), () => '🦄'.repeat(700),
    () => rng.pick(HOSTILE), () => randomUnicode(rng, 30), () => 'x'.repeat(5000)])();
  const fields = {};
  if (rng.chance(0.9)) fields.message = rng.chance(0.85) ? message : rng.pick([null, 7, { a: 1 }, [1], true]);
  if (rng.chance(0.7)) fields.name = rng.pick(['Error', 'DBOSError', 'TypeError', '', 'é'.repeat(2000), null, 3]);
  if (rng.chance(0.5)) fields.code = rng.pick([1, 'E42', null, { x: 1 }, '%s', 0]);
  if (rng.chance(0.3)) fields.stack = 'at x\n'.repeat(rng.pick([1, 100, 2000]));
  const t = JSON.stringify(fields);
  return rng.chance(0.9) ? t : JSON.stringify(message);
}

// A stored payload as a SQL expression (a literal, or an expression for the huge ones).
function payloadSql(rng, tag, kind) {
  const t = payloadText(rng, tag, kind);
  return typeof t === 'string' ? q(t) : t.sql;
}

module.exports = {
  payloadSql,
  makeRng, q, qi, v, genText, genJson, genInterval, genSeconds, genPriority, payloadText, randomJsonText,
  randomUnicode, HOSTILE, UNICODE, WORDS, utf8len, longText,
};
