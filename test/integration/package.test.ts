import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ElevenLabsEgress, ElevenLabsWebhookReceiver, type ElevenLabsWebhookReceiverProps } from '../../lib/index';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { startFakeSecretsManager } from '../support/fake-secrets-manager';
import { storageReader } from '../support/storage';
import { invokeBundle, synthesizedFunctions } from '../support/synthesized-functions';
import { loadExample, signedApiEvent, TEST_SECRET } from '../support/webhooks';

/*
 * The npm package as a team installs it into its own CDK app: packed from a copy of this working
 * tree (prepack builds dist/ with jsii and esbuild there, never here), installed from the tarball
 * into a fresh app in a temporary folder beside links to this repository's aws-cdk-lib, constructs
 * and cdk-nag (one copy of constructs, or instanceof breaks), type-checked as TypeScript,
 * synthesized offline from plain JavaScript, require and import alike, and compared with the same
 * construct synthesized here from source.
 */

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE = 'elevenlabs-webhook-receiver';
const run = promisify(execFile);

/** What the consumer's app and the repository's both build: every function of the construct. */
const PROPS_SOURCE = '{ apiReconciliation: {}, honourDeletionSettings: {}, allowedSourceIps: ElevenLabsEgress.defaultRegions }';
const props = (): ElevenLabsWebhookReceiverProps => ({ apiReconciliation: {}, honourDeletionSettings: {}, allowedSourceIps: ElevenLabsEgress.defaultRegions });

/** The README's smallest example, as a consumer's TypeScript type-checks it (strict, library types checked too). */
const TYPESCRIPT_APP = `import { App, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CallEvents, ElevenLabsEgress, ElevenLabsWebhookReceiver, type ElevenLabsWebhookReceiverProps } from '${PACKAGE}';

export class CallsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const options: ElevenLabsWebhookReceiverProps = { allowedSourceIps: ElevenLabsEgress.defaultRegions };
    const receiver = new ElevenLabsWebhookReceiver(this, 'Receiver', options);
    new CfnOutput(this, 'WebhookUrl', { value: receiver.url });
    new CfnOutput(this, 'WebhookSecretArn', { value: receiver.secret.secretArn });
    new CfnOutput(this, 'FailedCallsSource', { value: CallEvents.SOURCE });
  }
}
new CallsStack(new App(), 'Calls');
`;

/** The consumer's app, in CommonJS or as an ES module: the README's smallest example, with cdk-nag. */
function consumerApp(syntax: 'require' | 'import'): string {
  const imports =
    syntax === 'require'
      ? `const { App, Stack, Validations } = require('aws-cdk-lib');
const { AwsSolutionsChecks } = require('cdk-nag');
const { ElevenLabsEgress, ElevenLabsWebhookReceiver } = require('${PACKAGE}');`
      : `import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ElevenLabsEgress, ElevenLabsWebhookReceiver } from '${PACKAGE}';`;
  return `${imports}
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Calls');
new ElevenLabsWebhookReceiver(stack, 'Receiver', ${PROPS_SOURCE});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;
}

interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: { path: string }[];
}

let work: string;
let packed: Packed;
let consumerDir: string;
let installed: string;

/** A copy of this working tree, uncommitted changes included, its node_modules linked: npm pack builds there. */
function copyOfWorkingTree(into: string): string {
  const copy = path.join(into, 'repository');
  const skipped = new Set(['node_modules', 'dist', 'dist-languages', '.jsii', '.local', 'cdk.out', '.git']);
  fs.cpSync(ROOT, copy, { recursive: true, filter: (source) => !skipped.has(path.relative(ROOT, source).split(path.sep)[0]) && !source.endsWith('.tgz') });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'receiver-package-'));
  const repository = copyOfWorkingTree(work);
  await run('npm', ['run', 'build:package'], { cwd: repository, maxBuffer: 64 * 1024 * 1024 });
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repository, maxBuffer: 64 * 1024 * 1024 });
  packed = JSON.parse(stdout)[0];

  consumerDir = path.join(work, 'app');
  fs.mkdirSync(path.join(consumerDir, 'node_modules'), { recursive: true });
  fs.writeFileSync(path.join(consumerDir, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true }));
  const link = (name: string) => {
    fs.mkdirSync(path.dirname(path.join(consumerDir, 'node_modules', name)), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(consumerDir, 'node_modules', name), 'dir');
  };
  // The peers are linked first, so npm finds them and installs only the package (peer
  // dependencies honoured whatever the machine's npm settings say).
  link('aws-cdk-lib');
  link('constructs');
  await run('npm', ['install', '--offline', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps=false', path.join(work, packed.filename)], { cwd: consumerDir });
  // Linked after the install: npm removes what neither package.json nor a peer dependency names.
  link('cdk-nag');
  link('@types/node');
  installed = path.join(consumerDir, 'node_modules', PACKAGE);
  fs.writeFileSync(path.join(consumerDir, 'app.js'), consumerApp('require'));
  fs.writeFileSync(path.join(consumerDir, 'app.mjs'), consumerApp('import'));
  fs.writeFileSync(path.join(consumerDir, 'app.ts'), TYPESCRIPT_APP);
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the construct, its declarations, the jsii assembly and the bundles, and none of the repository\'s tools or tests', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', '.jsii', 'dist/lib/index.js', 'dist/lib/index.d.ts']));
    for (const name of ['handler', 'reconciler-handler', 'deletion-handler', 'analytics-stream-handler']) {
      expect(files).toEqual(expect.arrayContaining([`dist/functions/${name}/index.js`, `dist/functions/${name}/index.js.map`]));
    }
    const foreign = files.filter((file) => !/^dist\//.test(file) && !['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', '.jsii'].includes(file));
    expect(foreign).toEqual([]);
    expect(files.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => /(^|\/)(test|fixtures|\.local|cdk\.out|console|local)\//.test(file))).toEqual([]);
    console.log(`${packed.filename}: ${(packed.size / 1e6).toFixed(1)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${files.length} files`);
  });

  it('declares aws-cdk-lib and constructs as peers and depends on nothing else', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies).toEqual({ 'aws-cdk-lib': '^2.276.0', constructs: '^10.5.1' });
    expect(manifest.license).toBe('MIT');
    expect(manifest.keywords).toEqual(expect.arrayContaining(['awscdk', 'elevenlabs']));
  });

  it('requires only aws-cdk-lib, constructs and Node\'s own modules (the SDKs, zod and Powertools are inside the bundles)', () => {
    const required = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith('.js')) for (const [, name] of fs.readFileSync(file, 'utf8').matchAll(/require\(["']([^"'.][^"']*)["']\)/g)) required.add(name);
      }
    };
    walk(path.join(installed, 'dist', 'lib'));
    walk(path.join(installed, 'dist', 'lambda'));
    const outside = [...required].filter((name) => !/^(aws-cdk-lib|constructs)(\/|$)/.test(name) && !builtinModules.includes(name.replace(/^node:/, '')));
    // esbuild is loaded only to bundle from source, which the package never does (it ships bundles).
    expect(outside).toEqual(['esbuild']);
  });

  it('carries a jsii assembly naming the construct and its props', () => {
    const assembly = JSON.parse(fs.readFileSync(path.join(installed, '.jsii'), 'utf8'));
    expect(assembly).toMatchObject({ schema: 'jsii/0.10.0', name: PACKAGE, license: 'MIT' });
    expect(Object.keys(assembly.types)).toEqual(expect.arrayContaining([`${PACKAGE}.ElevenLabsWebhookReceiver`, `${PACKAGE}.ElevenLabsWebhookReceiverProps`, `${PACKAGE}.ElevenLabsEgress`, `${PACKAGE}.CallEvents`]));
  });
});

describe('a TypeScript CDK app that installed the package', () => {
  it('type-checks the README\'s example against the package\'s declarations, strict, declarations checked too', async () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'ES2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'ES2022,ESNext.Disposable', '--types', 'node'];
    await expect(run(process.execPath, [tsc, ...options, 'app.ts'], { cwd: consumerDir })).resolves.toBeDefined();
  }, 120_000);
});

describe('a CDK app that installed the package', () => {
  let repository: { dir: string; template: any; report: any };
  const consumer: Record<'require' | 'import', { dir: string; template: any; report: any }> = {} as never;

  /** Rule and construct paths of each cdk-nag finding, kept or acknowledged: the report without its stack traces. */
  const findings = (report: any) =>
    report.pluginReports.map((plugin: any) => ({
      plugin: plugin.pluginName,
      conclusion: plugin.conclusion,
      violations: plugin.violations.map((v: any) => [v.ruleName, v.violatingConstructs.map((c: any) => c.constructPath)]),
      acknowledged: plugin.suppressedViolations.map((v: any) => [v.ruleName, v.violatingConstructs.map((c: any) => c.constructPath)]),
    }));
  const synthesized = (dir: string) => ({
    dir,
    template: JSON.parse(fs.readFileSync(path.join(dir, 'Calls.template.json'), 'utf8')),
    report: JSON.parse(fs.readFileSync(path.join(dir, 'validation-report.json'), 'utf8')),
  });

  beforeAll(async () => {
    // The consumer's synths: plain Node, no esbuild or Docker reachable from the app's folder.
    await Promise.all(
      (['require', 'import'] as const).map(async (syntax) => {
        const dir = path.join(work, `cdk.out-${syntax}`);
        await run(process.execPath, [syntax === 'require' ? 'app.js' : 'app.mjs', dir], { cwd: consumerDir, env: { PATH: process.env.PATH } });
        consumer[syntax] = synthesized(dir);
      }),
    );
    // The same construct from this repository's source, bundled at synth.
    const dir = path.join(work, 'cdk.out-repository');
    const app = new App({ outdir: dir });
    new ElevenLabsWebhookReceiver(new Stack(app, 'Calls'), 'Receiver', props());
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    repository = synthesized(dir);
  }, 300_000);

  /*
   * The package is built in a copy of this tree whose node_modules is a link to this one's, so its
   * source maps name the dependencies by another relative path (a release build, from its own
   * node_modules, gives the same maps byte for byte). The JavaScript is the same bytes either way;
   * the assets' hashes, which cover the maps, are compared through that.
   */
  /** A source map's `sources` from the first lambda/, lib/ or node_modules/ on, whatever folder the build ran in. */
  const fromProjectRoot = (map: { sources: string[] }) => ({ ...map, sources: map.sources.map((source) => source.replace(/^(\.\.\/)+(.*?\/)??(?=(lambda|lib|node_modules)\/)/, '')) });

  /** The consumer's template with each function asset named as the repository's same function names it. */
  function withRepositoryAssets(template: any): any {
    let text = JSON.stringify(template);
    const built = synthesizedFunctions(repository.dir, repository.template).all;
    for (const fn of synthesizedFunctions('', template).all) {
      const theirs = built.find((b) => b.logicalId === fn.logicalId)!;
      text = text.split(path.basename(fn.bundleDir).replace(/^asset\./, '')).join(path.basename(theirs.bundleDir).replace(/^asset\./, ''));
    }
    return JSON.parse(text);
  }

  it('synthesizes from require and from import to the repository\'s template, function, table, bucket and API alike', () => {
    expect(consumer.import.template).toEqual(consumer.require.template);
    expect(withRepositoryAssets(consumer.require.template)).toEqual(repository.template);
    const types = Object.values(repository.template.Resources).map((r: any) => r.Type);
    expect(types.filter((t) => t === 'AWS::Lambda::Function')).toHaveLength(4);
    expect(types).toEqual(expect.arrayContaining(['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::ApiGatewayV2::Api', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup']));
  });

  it('passes cdk-nag\'s AWS Solutions rules with the same findings acknowledged', () => {
    expect(findings(consumer.require.report)).toEqual(findings(repository.report));
    expect(findings(consumer.import.report)).toEqual(findings(repository.report));
    expect(findings(repository.report)).toEqual([expect.objectContaining({ plugin: 'AwsSolutions', conclusion: 'success', violations: [] })]);
  });

  it('ships the same function JavaScript as the repository builds from source, and source maps that differ only by where the build ran', () => {
    const shipped = synthesizedFunctions(consumer.require.dir, consumer.require.template).all;
    const built = synthesizedFunctions(repository.dir, repository.template).all;
    expect(shipped.map((fn) => fn.logicalId)).toEqual(built.map((fn) => fn.logicalId));
    const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file));
    for (const [i, fn] of shipped.entries()) {
      expect(read(fn.bundleDir, 'index.js').equals(read(built[i].bundleDir, 'index.js'))).toBe(true);
      const [ours, theirs] = [fn, built[i]].map((f) => fromProjectRoot(JSON.parse(read(f.bundleDir, 'index.js.map').toString())));
      expect(ours).toEqual(theirs);
      expect(ours.sources.filter((source: string) => source.startsWith('lambda/')).length).toBeGreaterThan(0);
    }
  });

  it('runs the packaged webhook bundle: a signed call lands in DynamoDB and S3', async () => {
    const webhook = synthesizedFunctions(consumer.require.dir, consumer.require.template).webhook!;
    expect(fs.realpathSync(webhook.bundleDir)).not.toContain(ROOT);
    let emulators: Emulators | undefined;
    const secrets = await startFakeSecretsManager(TEST_SECRET);
    try {
      emulators = await startEmulators();
      // The construct allows ElevenLabs' addresses only: one call from one of them, one from elsewhere.
      const from = (sourceIp: string) => {
        const event = signedApiEvent(loadExample('post_call_transcription.phone'));
        return { ...event, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, sourceIp } } };
      };
      const [result, forbidden] = await invokeBundle(webhook.bundleDir, [from(ElevenLabsEgress.us[0]), from('203.0.113.7')], {
        ...webhook.environment,
        ...emulators.environment,
        WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      });
      expect([result.statusCode, forbidden.statusCode]).toEqual([200, 403]);
      const read = storageReader(emulators);
      const item = await read.item('conv_7901kphone0inbound0000001');
      expect(item).toMatchObject({ cost: 142, call_successful: 'success', channel: 'phone' });
      expect(await read.exists(item!.transcript_s3_key)).toBe(true);
    } finally {
      await emulators?.close();
      await secrets.close();
    }
  });
});
