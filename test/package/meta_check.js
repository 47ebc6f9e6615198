// Checks META.json (PGXN Meta Spec 1.0.0) and the version numbers of a source tree.
// Usage: node test/package/meta_check.js DIR
// No PGXN validator is packaged for Debian 12 (PGXN::Meta::Validator is on CPAN only), so this
// checks the spec's rules itself: required keys, the type and format of every key the spec
// defines (Term, SemVer, License, Path, Version Range, ...), no unknown keys except x_ ones.
// Two test cases; prints "suite package metadata: N passed, M failed".
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.argv[2] || '.';
let passed = 0, failed = 0;
const report = (name, errors) => {
  if (errors.length === 0) { passed++; console.log(`ok: ${name}`); }
  else { failed++; console.log(`FAILED: ${name}`); for (const e of errors) console.log(`  ${e}`); }
};

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const LICENSES = new Set(['agpl_3', 'apache_1_1', 'apache_2_0', 'artistic_1', 'artistic_2', 'bsd', 'freebsd',
  'gfdl_1_2', 'gfdl_1_3', 'gpl_1', 'gpl_2', 'gpl_3', 'lgpl_2_1', 'lgpl_3_0', 'mit', 'mozilla_1_0', 'mozilla_1_1',
  'openssl', 'perl_5', 'postgresql', 'qpl_1_0', 'ssleay', 'sun', 'zlib', 'open_source', 'restricted',
  'unrestricted', 'unknown']);
const CUSTOM = /^[xX]_./;
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v) => typeof v === 'string' && v.length > 0;
const isTerm = (v) => typeof v === 'string' && /^[^/\\\s\p{Cc}]{2,}$/u.test(v);
const isUri = (v) => typeof v === 'string' && /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(v);
const isPath = (v) => isStr(v) && !v.startsWith('/') && !v.includes('\\') && !v.split('/').includes('..');
const RANGE_ONE = `(?:(?:[=!]=|[<>]=?)\\s*)?(?:${SEMVER.source.slice(1, -1)})`;
const RANGE = new RegExp(`^(?:0|${RANGE_ONE}(?:,\\s*${RANGE_ONE})*)$`);
const isRange = (v) => v === 0 || (typeof v === 'string' && RANGE.test(v));

function keys(obj, where, allowed, errors) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k) && !CUSTOM.test(k)) errors.push(`${where}: unknown key "${k}"`);
  }
}

function validate(meta) {
  const e = [];
  if (!isObj(meta)) return ['META.json is not a JSON object'];
  for (const k of ['name', 'version', 'abstract', 'maintainer', 'license', 'provides', 'meta-spec']) {
    if (!(k in meta)) e.push(`required key "${k}" is missing`);
  }
  keys(meta, 'top level', ['name', 'version', 'abstract', 'description', 'maintainer', 'license', 'provides',
    'meta-spec', 'generated_by', 'tags', 'no_index', 'prereqs', 'release_status', 'resources'], e);
  if ('name' in meta && !isTerm(meta.name)) e.push(`name ${JSON.stringify(meta.name)} is not a Term`);
  if ('version' in meta && !(typeof meta.version === 'string' && SEMVER.test(meta.version))) e.push(`version ${JSON.stringify(meta.version)} is not a SemVer`);
  for (const k of ['abstract', 'description', 'generated_by']) {
    if (k in meta && !isStr(meta[k])) e.push(`${k} is not a non-empty string`);
  }
  if ('maintainer' in meta) {
    const m = meta.maintainer;
    if (!(isStr(m) || (Array.isArray(m) && m.length > 0 && m.every(isStr)))) e.push('maintainer is not a string or a non-empty list of strings');
  }
  if ('license' in meta) {
    const l = meta.license;
    const ok = (typeof l === 'string' && LICENSES.has(l))
      || (Array.isArray(l) && l.length > 0 && l.every((x) => LICENSES.has(x)))
      || (isObj(l) && Object.keys(l).length > 0 && Object.values(l).every(isUri));
    if (!ok) e.push(`license ${JSON.stringify(l)} is not a known license string, list of them, or object of name: URI`);
  }
  if ('provides' in meta) {
    const p = meta.provides;
    if (!isObj(p) || Object.keys(p).length === 0) e.push('provides is not a non-empty object');
    else for (const [ext, v] of Object.entries(p)) {
      const w = `provides.${ext}`;
      if (!isTerm(ext)) e.push(`${w}: the extension name is not a Term`);
      if (!isObj(v)) { e.push(`${w} is not an object`); continue; }
      keys(v, w, ['file', 'version', 'abstract', 'docfile'], e);
      if (!isPath(v.file)) e.push(`${w}.file is missing or not a relative path`);
      if (!(typeof v.version === 'string' && SEMVER.test(v.version))) e.push(`${w}.version is missing or not a SemVer`);
      if ('docfile' in v && !isPath(v.docfile)) e.push(`${w}.docfile is not a relative path`);
      if ('abstract' in v && !isStr(v.abstract)) e.push(`${w}.abstract is not a non-empty string`);
    }
  }
  if ('meta-spec' in meta) {
    const s = meta['meta-spec'];
    if (!isObj(s)) e.push('meta-spec is not an object');
    else {
      keys(s, 'meta-spec', ['version', 'url'], e);
      if (!(typeof s.version === 'string' && /^1\.0\.\d+$/.test(s.version))) e.push('meta-spec.version is not 1.0.x');
      if ('url' in s && !['https://pgxn.org/meta/spec.txt', 'http://pgxn.org/meta/spec.txt'].includes(s.url)) e.push('meta-spec.url is not the spec\'s URL');
    }
  }
  if ('prereqs' in meta) {
    const p = meta.prereqs;
    if (!isObj(p)) e.push('prereqs is not an object');
    else {
      keys(p, 'prereqs', ['configure', 'build', 'test', 'runtime', 'develop'], e);
      for (const [phase, rels] of Object.entries(p)) {
        if (CUSTOM.test(phase)) continue;
        if (!isObj(rels) || Object.keys(rels).length === 0) { e.push(`prereqs.${phase} is not a non-empty object`); continue; }
        keys(rels, `prereqs.${phase}`, ['requires', 'recommends', 'suggests', 'conflicts'], e);
        for (const [rel, deps] of Object.entries(rels)) {
          if (CUSTOM.test(rel)) continue;
          if (!isObj(deps)) { e.push(`prereqs.${phase}.${rel} is not an object`); continue; }
          for (const [dep, range] of Object.entries(deps)) {
            if (!isTerm(dep)) e.push(`prereqs.${phase}.${rel}: ${JSON.stringify(dep)} is not a Term`);
            if (!isRange(range)) e.push(`prereqs.${phase}.${rel}.${dep}: ${JSON.stringify(range)} is not a Version Range`);
          }
        }
      }
    }
  }
  if ('tags' in meta) {
    const t = meta.tags;
    if (!(Array.isArray(t) && t.length > 0 && t.every((x) => isStr(x) && x.length <= 255))) e.push('tags is not a non-empty list of strings of 1 to 255 characters');
  }
  if ('no_index' in meta) {
    const n = meta.no_index;
    if (!isObj(n)) e.push('no_index is not an object');
    else {
      keys(n, 'no_index', ['file', 'directory'], e);
      for (const k of ['file', 'directory']) {
        if (k in n && !((isPath(n[k])) || (Array.isArray(n[k]) && n[k].length > 0 && n[k].every(isPath)))) e.push(`no_index.${k} is not a path or a non-empty list of paths`);
      }
    }
  }
  if ('release_status' in meta && !['stable', 'testing', 'unstable'].includes(meta.release_status)) e.push('release_status is not stable, testing or unstable');
  if ('resources' in meta) {
    const r = meta.resources;
    if (!isObj(r) || Object.keys(r).length === 0) e.push('resources is not a non-empty object');
    else {
      keys(r, 'resources', ['homepage', 'bugtracker', 'repository'], e);
      if ('homepage' in r && !isUri(r.homepage)) e.push('resources.homepage is not a URI');
      for (const [k, allowed] of [['bugtracker', ['web', 'mailto']], ['repository', ['url', 'web', 'type']]]) {
        if (!(k in r)) continue;
        if (!isObj(r[k])) { e.push(`resources.${k} is not an object`); continue; }
        keys(r[k], `resources.${k}`, allowed, e);
        for (const f of ['web', 'url']) if (f in r[k] && !isUri(r[k][f])) e.push(`resources.${k}.${f} is not a URI`);
      }
    }
  }
  return e;
}

let meta = null;
try {
  meta = JSON.parse(fs.readFileSync(path.join(dir, 'META.json'), 'utf8'));
  report('META.json is valid PGXN Meta Spec 1.0.0', validate(meta));
} catch (err) {
  report('META.json is valid PGXN Meta Spec 1.0.0', [`cannot read META.json: ${err.message}`]);
}

// The one version: dbos_client.control's default_version ("1.2" is SemVer "1.2.0"), META.json's
// version and provides, the file it names, and debian/changelog's upstream version.
const e = [];
const control = fs.readFileSync(path.join(dir, 'dbos_client.control'), 'utf8');
const dv = (control.match(/^default_version\s*=\s*'([^']*)'/m) || [])[1];
const semver = dv && (/^\d+\.\d+$/.test(dv) ? `${dv}.0` : dv);
if (!dv) e.push('dbos_client.control has no default_version');
const first = fs.existsSync(path.join(dir, 'debian/changelog')) ? fs.readFileSync(path.join(dir, 'debian/changelog'), 'utf8').split('\n')[0] : '';
const m = first.match(/^\S+ \((?:\d+:)?([^)\s]+?)(?:-[^-)\s]+)?\)/);
const deb = m && m[1];
if (!deb) e.push(`debian/changelog: no version in its first line ${JSON.stringify(first)}`);
if (meta && dv) {
  const p = isObj(meta.provides) ? meta.provides.dbos_client : undefined;
  if (meta.name !== 'dbos_client') e.push(`META.json name is ${JSON.stringify(meta.name)}, not dbos_client`);
  if (meta.version !== semver) e.push(`META.json version is ${meta.version}, the control's default_version ${dv} (SemVer ${semver})`);
  if (!isObj(p)) e.push('META.json provides no dbos_client');
  else {
    if (p.version !== semver) e.push(`META.json provides.dbos_client.version is ${p.version}, not ${semver}`);
    if (p.file !== `dbos_client--${dv}.sql`) e.push(`META.json provides.dbos_client.file is ${p.file}, not dbos_client--${dv}.sql`);
    else if (!fs.existsSync(path.join(dir, p.file))) e.push(`${p.file} (META.json provides.dbos_client.file) does not exist`);
  }
}
if (deb && dv && deb !== semver) e.push(`debian/changelog's upstream version is ${deb}, the control's default_version ${dv} (SemVer ${semver})`);
report(`one version everywhere: control default_version ${dv}, META.json ${meta && meta.version}, debian/changelog ${deb}`, e);

console.log(`suite package metadata: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
