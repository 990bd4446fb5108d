import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { BASE_IMAGE, buildImages, dockerClient, ESTATE_IMAGE, follow, imageLabels, INPUTS_LABEL, PATRONI_BASE_IMAGE, PATRONI_IMAGE, PROXY_IMAGE, removeReplaced, TOXIPROXY_IMAGE } from '../../services/runtime/docker/images';
import { describeDocker, ensureImages } from '../helpers/docker';

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '..', '..');
const SCRATCH = 'blackstart/test-replaced:latest';

/** A one-line image on the base: a LABEL only, so it builds in a moment and each `n` gives a new id. */
async function scratchImage(docker: Dockerode, n: number): Promise<string> {
  const context = mkdtempSync(join(tmpdir(), 'blackstart-test-image-'));
  try {
    writeFileSync(join(context, 'Dockerfile'), `FROM ${BASE_IMAGE}\nLABEL blackstart.test=${n}\n`);
    await follow(docker, await docker.buildImage({ context, src: ['Dockerfile'] }, { t: SCRATCH }), () => {});
    return (await docker.getImage(SCRATCH).inspect()).Id;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

const exists = (docker: Dockerode, id: string) => docker.getImage(id).inspect().then(() => true, (e: { statusCode?: number }) => (e.statusCode === 404 ? false : Promise.reject(e)));

describeDocker('docker images', () => {
  beforeAll(() => ensureImages());

  it('a build with nothing changed skips every image: same inputs hash, same image', async () => {
    const docker = await dockerClient();
    const before = await Promise.all([BASE_IMAGE, ESTATE_IMAGE, PROXY_IMAGE].map((n) => docker.getImage(n).inspect()));
    const lines: string[] = [];
    const all = await buildImages({ root: ROOT, log: (l) => lines.push(l) });
    // The real Toxiproxy is kept or pulled where a registry answers; without one the build says so.
    const toxiproxy = all.find((i) => i.name === TOXIPROXY_IMAGE);
    if (!toxiproxy) expect(lines).toContainEqual(expect.stringMatching(/^ghcr\.io\/shopify\/toxiproxy:2\.12\.0 cannot be pulled \(.+\): estates use the embedded proxy \(blackstart\/proxy:latest\)$/));
    const again = all.filter((i) => i !== toxiproxy);
    expect(again.map((i) => [i.name, i.action])).toEqual([
      [BASE_IMAGE, 'unchanged'],
      [ESTATE_IMAGE, 'unchanged'],
      [PROXY_IMAGE, 'unchanged'],
    ]);
    for (const [k, image] of again.entries()) {
      expect((await imageLabels(docker, image.name))?.[INPUTS_LABEL]).toBe(image.inputs);
      expect((await docker.getImage(image.name).inspect()).Id).toBe(before[k].Id);
    }
  });

  it('the image a rebuild replaced is removed, unless a container still uses it', async () => {
    const docker = await dockerClient();
    const lines: string[] = [];
    let container: Dockerode.Container | undefined;
    try {
      const first = await scratchImage(docker, 1);
      const second = await scratchImage(docker, 2);
      expect(second).not.toBe(first);
      await removeReplaced(docker, first, SCRATCH, (l) => lines.push(l));
      expect(await exists(docker, first)).toBe(false);
      expect(lines).toEqual([`removed the image ${SCRATCH} replaced (${first.slice(7, 19)})`]);

      // A container (not even started) on the image: the daemon refuses, the image is kept.
      container = await docker.createContainer({ Image: second, Cmd: ['true'] });
      const third = await scratchImage(docker, 3);
      await removeReplaced(docker, second, SCRATCH, (l) => lines.push(l));
      expect(await exists(docker, second)).toBe(true);
      expect(lines[1]).toMatch(new RegExp(`^kept the image ${SCRATCH} replaced \\(${second.slice(7, 19)}\\): .*(conflict|being used)`));
      // Nothing to do when the tag did not move.
      await removeReplaced(docker, third, SCRATCH, (l) => lines.push(l));
      expect([lines.length, await exists(docker, third)]).toEqual([2, true]);
    } finally {
      await container?.remove({ force: true });
      for (const image of await docker.listImages({ filters: JSON.stringify({ label: ['blackstart.test'] }) })) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    }
  });

  it('the Patroni image (images build --patroni) runs the data tier from Debian: PostgreSQL 15 as postgres, Patroni, etcd, HAProxy, and the apps on pg', async () => {
    // `.ci/run` builds it before the tests; on a machine without it this builds it (about 80 s).
    const all = await buildImages({ root: ROOT, patroni: true });
    expect(all.filter((i) => i.name === PATRONI_BASE_IMAGE || i.name === PATRONI_IMAGE).map((i) => i.name)).toEqual([PATRONI_BASE_IMAGE, PATRONI_IMAGE]);
    const docker = await dockerClient();
    expect((await imageLabels(docker, PATRONI_IMAGE))?.['blackstart.image']).toBe('patroni');
    // initdb and a server start as the unprivileged user, as Patroni will do it; the apps' pg driver loads.
    const script = [
      'postgres --version',
      'patroni --version',
      'etcd --version | head -1',
      'haproxy -v | head -1',
      'runuser -u postgres -- initdb -D /tmp/pg -A trust >/dev/null',
      'runuser -u postgres -- pg_ctl -D /tmp/pg -o "-k /tmp -c listen_addresses=" -w start >/dev/null',
      'runuser -u postgres -- psql -X -P pager=off -h /tmp -Atc "select 40 + 2" postgres',
      'runuser -u postgres -- pg_ctl -D /tmp/pg -m immediate stop >/dev/null',
      'cd /opt/blackstart && node -e "require(\'pg\'); console.log(\'pg driver ok\')"',
    ].join(' && ');
    const output: string[] = [];
    const { Writable } = await import('node:stream');
    const sink = new Writable({ write: (chunk, _e, done) => (output.push(String(chunk)), done()) });
    const [result] = (await docker.run(PATRONI_IMAGE, ['sh', '-c', script], sink, { HostConfig: { AutoRemove: true }, Tty: true })) as [{ StatusCode: number }];
    const text = output.join('');
    expect([result.StatusCode, text]).toEqual([0, expect.stringMatching(/PostgreSQL\) 15\.[\s\S]*patroni 3\.[\s\S]*etcd Version: 3\.4[\s\S]*HAProxy version 2\.[\s\S]*\b42\b[\s\S]*pg driver ok/)]);
  }, 300_000);
});
