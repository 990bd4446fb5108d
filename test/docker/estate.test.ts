import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFault, faultContext } from '../../chaos/faults';
import { revertStepSchema } from '../../chaos/faults/revert_step';
import { executeRevertStep } from '../../chaos/revert_steps';
import { dockerClient } from '../../services/runtime/docker/images';
import { LABELS } from '../../services/runtime/docker/cleanup';
import type { Estate } from '../../services/runtime';
import { book, call, controllerEvents, json, slots, until } from '../helpers/estate';
import { describeDocker, EMPTY, ensureImages, labelled, labelledByCli, startDockerTestEstate, toxiproxyPresent } from '../helpers/docker';

jest.setTimeout(180_000);

const sanStatus = (estate: Estate, site: 'dc1' | 'dc2') => json(`${estate.endpoints.sites[site].sanAdmin}/status`);

describeDocker('estate on the docker runtime', () => {
  let estate: Estate | undefined;
  beforeAll(async () => {
    await ensureImages();
    estate = await startDockerTestEstate({ replication: { mode: 'sync' } });
  });
  afterAll(async () => {
    await estate?.stop();
  });

  it('runs every component as a labelled container on its own network, SAN data on a volume per site', async () => {
    const e = estate!;
    expect(e.runtime).toBe('docker');
    expect(e.proxyServer?.kind).toBe((await toxiproxyPresent()) ? 'toxiproxy' : 'embedded');
    const docker = await dockerClient();
    const containers = await docker.listContainers({ filters: JSON.stringify({ label: [`${LABELS.estate}=${e.id}`] }) });
    const byComponent = new Map(containers.map((c) => [c.Labels[LABELS.component], c]));
    expect([...byComponent.keys()].sort()).toEqual(e.components.map((c) => c.name).sort());
    expect(containers.every((c) => c.State === 'running')).toBe(true);
    expect(byComponent.get('dc1-booking')!.Labels[LABELS.site]).toBe('dc1');
    expect(byComponent.get('dc2-san')!.Labels[LABELS.site]).toBe('dc2');
    expect(byComponent.get('controller')!.Labels[LABELS.site]).toBeUndefined();
    // One user-defined network, every container on it (and on no other).
    const networks = await docker.listNetworks({ filters: JSON.stringify({ label: [`${LABELS.estate}=${e.id}`] }) });
    expect(networks).toHaveLength(1);
    for (const c of containers) expect(Object.keys(c.NetworkSettings.Networks)).toEqual([networks[0].Name]);
    // Published on 127.0.0.1 only.
    for (const c of containers) for (const p of c.Ports.filter((p) => p.PublicPort)) expect(p.IP).toBe('127.0.0.1');
    // The SANs' arrays on their volumes.
    const volumes = labelledByCli(`${LABELS.estate}=${e.id}`).volumes;
    expect(volumes.sort()).toEqual([`blackstart-${e.id}-dc1-san`, `blackstart-${e.id}-dc2-san`]);
    const dc1San = await docker.getContainer(byComponent.get('dc1-san')!.Id).inspect();
    expect(dc1San.Mounts.map((m) => [m.Name, m.Destination])).toEqual([[`blackstart-${e.id}-dc1-san`, '/data']]);
    // Components reach one another by container name, through the proxies.
    const proxies = (await json(`${e.endpoints.proxyApi}/proxies`)) as Record<string, { upstream: string; listen: string }>;
    expect(proxies['dc1-san'].upstream).toBe(`blackstart-${e.id}-dc1-san:${e.ports!['dc1-san'].app}`);
    expect(proxies.frontdoor.listen).toBe(`0.0.0.0:${new URL(e.endpoints.services.booking).port}`);
  });

  it('serves through the front door and its proxy from the host', async () => {
    const created = await book(estate!.endpoints.services.booking, slots[0].id, 1, 'd-0');
    expect([created.status, created.site]).toEqual([201, 'dc1']);
    const read = await call(`${estate!.endpoints.services.booking}/Appointment/${created.body.id}`);
    expect(read.body).toMatchObject({ id: created.body.id, status: 'booked' });
  });

  it('freeze pauses a container and thaw resumes it', async () => {
    const e = estate!;
    const app = e.component('dc2-theatre');
    const docker = await dockerClient();
    await app.freeze();
    expect(app.frozen).toBe(true);
    expect((await docker.getContainer(app.id!).inspect()).State.Paused).toBe(true);
    // Paused: the port is published, the process behind it does not answer.
    const hung = await fetch(`${e.endpoints.sites.dc2.apps.theatre}/health/live`, { signal: AbortSignal.timeout(500) }).then(
      (r) => r.status,
      (err: Error) => err.name,
    );
    expect(hung).toBe('TimeoutError');
    await app.thaw();
    expect((await docker.getContainer(app.id!).inspect()).State.Paused).toBe(false);
    expect((await call(`${e.endpoints.sites.dc2.apps.theatre}/health/live`)).status).toBe(200);
  });

  it('a freeze fault journals an unpause step that another process can carry out (blackstart restore)', async () => {
    const e = estate!;
    const ctx = faultContext(e);
    const fault = createFault('frozen', { kind: 'freeze', spec: { component: 'dc2-theatre' } });
    const id = e.component('dc2-theatre').id!;
    const plan = fault.revertPlan(ctx);
    expect(plan).toEqual([{ type: 'unpause', container: id, component: 'dc2-theatre' }]);
    // The plan is what a journal holds: plain JSON, valid against the step schema.
    expect(revertStepSchema.array().parse(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
    const docker = await dockerClient();
    await fault.apply(ctx);
    expect((await docker.getContainer(id).inspect()).State.Paused).toBe(true);
    // Carried out from the plan alone, as `blackstart restore` does for a killed harness.
    expect(await executeRevertStep(plan[0])).toMatchObject({ outcome: 'done', detail: 'unpaused dc2-theatre' });
    expect((await docker.getContainer(id).inspect()).State.Paused).toBe(false);
    expect((await call(`${e.endpoints.sites.dc2.apps.theatre}/health/live`)).status).toBe(200);
    // Safe to repeat; and the harness's own revert after it is harmless.
    expect(await executeRevertStep(plan[0])).toMatchObject({ outcome: 'already', detail: 'dc2-theatre was not paused' });
    await fault.revert(ctx);
    expect(await executeRevertStep({ type: 'unpause', container: 'blackstart-no-such-container', component: 'dc2-theatre' })).toMatchObject({ outcome: 'already' });
  });

  it('a write acknowledged just before dc1 loses power is read back at dc2 after promotion', async () => {
    const e = estate!;
    const acked = await book(e.endpoints.services.booking, slots[1].id, 2, 'd-1');
    expect(acked.status).toBe(201);
    const dc1Seq = (await sanStatus(e, 'dc1')).seq as number;
    const docker = await dockerClient();
    const ids = e.site('dc1').processes.map((p) => p.id!);
    const cut = e.site('dc1').powerCut();
    expect(e.site('dc1').processes.every((p) => !p.running && p.id === undefined)).toBe(true);
    await cut;
    // docker kill: every container of the site stopped, none removed.
    for (const id of ids) expect((await docker.getContainer(id).inspect()).State).toMatchObject({ Running: false, Status: 'exited', ExitCode: 137 });
    const after = await until(
      () => call(`${e.endpoints.services.booking}/Appointment/${acked.body.id}`),
      (r) => r.status === 200,
      20_000,
      'the acknowledged appointment readable at dc2',
    );
    expect(after.site).toBe('dc2');
    expect(after.body).toMatchObject({ id: acked.body.id, status: 'booked' });
    expect((await controllerEvents(e)).map((ev) => ev.type)).toEqual(expect.arrayContaining(['detect', 'promote', 'switch']));
    expect((await book(e.endpoints.services.booking, slots[1].id, 3, 'd-1b')).status).toBe(409);

    // Cold start (docker start): dc1's array comes back from its volume with what it had, and
    // rejoins as the replica of dc2.
    const during = await book(e.endpoints.services.booking, slots[2].id, 4, 'd-2');
    expect([during.status, during.site]).toEqual([201, 'dc2']);
    await e.site('dc1').restore();
    expect(e.site('dc1').processes.every((p) => p.running)).toBe(true);
    const restarted = await sanStatus(e, 'dc1');
    expect(restarted.seq as number).toBeGreaterThanOrEqual(dc1Seq);
    const dc2 = await sanStatus(e, 'dc2');
    const dc1 = await until(() => sanStatus(e, 'dc1'), (s) => s.role === 'replica' && s.seq === dc2.seq, 20_000, 'dc1 caught up');
    expect(dc1).toMatchObject({ role: 'replica', epoch: dc2.epoch });
    expect((await call(`${e.endpoints.sites.dc1.apps.booking}/health/ready`)).status).toBe(503);
  });

  it('stop() removes every container, volume and network of the estate, keeping their logs', async () => {
    const e = estate!;
    estate = undefined;
    const label = `${LABELS.estate}=${e.id}`;
    const before = labelledByCli(label);
    expect([before.containers.length, before.volumes.length, before.networks.length]).toEqual([11, 2, 1]);
    await e.stop();
    expect(labelledByCli(label)).toEqual(EMPTY);
    expect(await labelled({ estate: e.id })).toEqual(EMPTY);
    expect(readdirSync(join(e.dataDir, 'logs')).sort()).toEqual(e.components.map((c) => `${c.name}.log`).sort());
    expect(readFileSync(join(e.dataDir, 'logs', 'dc1-san.log'), 'utf8')).toMatch(/san ready/);
    expect(existsSync(join(e.dataDir, 'estate.json'))).toBe(false);
  });
});
