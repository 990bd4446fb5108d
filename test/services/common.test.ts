import { SERVICES, type Service } from '../../services/apps';
import { MemoryStorage } from '../../services/san/memory_storage';
import { VersionConflict, type CommitRequest, type CommitResult, type SanStatus } from '../../services/san/storage';
import { testNhsNumber } from '../../services/common/nhs_number';
import { LostAckStorage, seqOf, startApp, type TestApp } from './helpers';

/** One write per app that succeeds on an empty store. */
const WRITE: Record<Service, { path: string; body: unknown }> = {
  pas: {
    path: '/Patient',
    body: { nhsNumber: testNhsNumber(0), name: { family: 'Jones', given: ['Ann'] }, birthDate: '1960-03-01', gender: 'female' },
  },
  booking: { path: '/Appointment', body: { slot: 'cardiology-20270104-0900', patient: testNhsNumber(0) } },
  theatre: { path: '/Session/T1-20270104-am/Case', body: { patient: testNhsNumber(0), procedure: 'hip replacement', minutes: 90 } },
};

describe.each(SERVICES)('%s app: probes, ledger, storage faults', (service) => {
  let app: TestApp | undefined;
  afterEach(() => app?.close());

  it('is live, and ready only while its SAN is a reachable primary', async () => {
    const storage = new MemoryStorage();
    app = await startApp(service, storage, { site: 'dc2' });
    const live = await app.get('/health/live');
    expect(live.status).toBe(200);
    expect(live.headers.get('x-blackstart-site')).toBe('dc2');

    const ready = await app.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.san.role).toBe('primary');

    storage.role = 'replica';
    const replica = await app.get('/health/ready');
    expect(replica.status).toBe(503);
    expect(replica.body.issue[0]).toMatchObject({ code: 'transient', diagnostics: expect.stringMatching(/SAN is replica/) });
    expect((await app.get('/health/live')).status).toBe(200);

    storage.role = 'primary';
    storage.reachable = false;
    const unreachable = await app.get('/health/ready');
    expect(unreachable.status).toBe(503);
    expect(unreachable.body.issue[0].diagnostics).toMatch(/SAN unreachable/);
    expect((await app.get('/health/live')).status).toBe(200);
  });

  it('answers 503, not indeterminate, when the SAN is unreachable, and writes nothing', async () => {
    const storage = new MemoryStorage();
    app = await startApp(service, storage);
    storage.reachable = false;
    const res = await app.post(WRITE[service].path, WRITE[service].body, 'k-unreachable');
    expect(res.status).toBe(503);
    expect(res.headers.get('x-blackstart-indeterminate')).toBe('false');
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] });
    storage.reachable = true;
    expect(await seqOf(storage)).toBe(0);
  });

  it('refuses writes with 503 on a replica', async () => {
    const storage = new MemoryStorage();
    storage.role = 'replica';
    app = await startApp(service, storage);
    const res = await app.post(WRITE[service].path, WRITE[service].body, 'k-replica');
    expect(res.status).toBe(503);
    expect(res.headers.get('x-blackstart-indeterminate')).toBe('false');
    expect(res.body.issue[0].diagnostics).toMatch(/replica/);
    expect(await seqOf(storage)).toBe(0);
  });

  it('says indeterminate when the acknowledgement is lost, and a retry with the key gets the first answer', async () => {
    const storage = new LostAckStorage();
    app = await startApp(service, storage);
    storage.loseNextAck = true;
    const lost = await app.post(WRITE[service].path, WRITE[service].body, 'k-lost');
    expect(lost.status).toBe(503);
    expect(lost.headers.get('x-blackstart-indeterminate')).toBe('true');
    expect(await seqOf(storage)).toBe(1); // it did happen

    const retry = await app.post(WRITE[service].path, WRITE[service].body, 'k-lost');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('x-blackstart-seq')).toBe('1');
    expect(retry.body.meta.versionId).toBe('1');
    expect(await seqOf(storage)).toBe(1); // and only once
  });

  it('serves the ledger of acknowledged writes by Idempotency-Key', async () => {
    app = await startApp(service);
    const write = await app.post(WRITE[service].path, WRITE[service].body, 'k-ledger');
    expect(write.status).toBe(201);
    const ledger = await app.get('/_ledger/k-ledger');
    expect(ledger.status).toBe(200);
    expect(ledger.body).toMatchObject({ key: 'k-ledger', seq: Number(write.headers.get('x-blackstart-seq')) });
    expect(ledger.body.versions[0]).toBe(1);
    expect(ledger.body.response).toMatchObject({ status: 201, body: write.body });
    const missing = await app.get('/_ledger/never-used');
    expect(missing.status).toBe(404);
    expect(missing.body.issue[0].code).toBe('not-found');
  });

  it('answers unknown routes and methods with an OperationOutcome', async () => {
    app = await startApp(service);
    const unknown = await app.get('/Nothing/here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
    const wrongMethod = await app.post('/health/live', {});
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });
});

describe('the write flow', () => {
  let app: TestApp | undefined;
  afterEach(() => app?.close());
  const patient = WRITE.pas.body as Record<string, unknown>;

  it('refuses malformed JSON and names the fields a schema refuses', async () => {
    app = await startApp('pas');
    const res = await fetch(`${app.url}/Patient`, { method: 'POST', body: '{"nhsNumber": ' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0].diagnostics).toMatch(/not valid JSON/);

    const bad = await app.post('/Patient', { ...patient, name: { given: ['Ann'] }, gender: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.issue.map((i: { expression: string[] }) => i.expression[0]).sort()).toEqual(['gender', 'name.family']);
    expect(bad.body.issue[0].diagnostics).toMatch(/field '(name\.family|gender)'/);
  });

  it('refuses a malformed Idempotency-Key, and a key reused for a different request', async () => {
    app = await startApp('pas');
    expect((await app.post('/Patient', patient, ' ')).status).toBe(400);
    expect((await app.post('/Patient', patient, 'k1')).status).toBe(201);
    const reused = await app.post('/Patient', { ...patient, nhsNumber: testNhsNumber(1) }, 'k1');
    expect(reused.status).toBe(422);
    expect(reused.body.issue[0].diagnostics).toMatch(/already used for a different request/);
    // The same request, keys in another order, is the same request.
    const { nhsNumber, name, birthDate, gender } = patient;
    const same = await app.post('/Patient', { gender, birthDate, name, nhsNumber }, 'k1');
    expect(same.status).toBe(201);
    expect(same.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers 409 when concurrent writes keep winning the compare-and-set', async () => {
    class AlwaysLosing extends MemoryStorage {
      commits = 0;
      override async commit(request: CommitRequest): Promise<CommitResult> {
        this.commits++;
        throw new VersionConflict(request.writes[0].table, request.writes[0].id, 0, 1);
      }
    }
    const storage = new AlwaysLosing();
    app = await startApp('pas', storage);
    const res = await app.post('/Patient', patient, 'k-conflict');
    expect(res.status).toBe(409);
    expect(res.body.issue[0]).toMatchObject({ code: 'conflict', diagnostics: expect.stringMatching(/concurrent write won/) });
    expect(storage.commits).toBe(3); // planned again on fresh reads, then gave up
  });

  it('is unready when the SAN does not answer in time', async () => {
    class Hanging extends MemoryStorage {
      override status(): Promise<SanStatus> {
        return new Promise(() => {});
      }
    }
    app = await startApp('pas', new Hanging(), { readyTimeoutMs: 50 });
    const res = await app.get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.issue[0].diagnostics).toMatch(/did not answer within 50 ms/);
  });
});
