import { randomUUID } from 'node:crypto';
import type { Storage } from '../san/storage';
import { NHS_NUMBER_SYSTEM, etag, requireNhsNumber, searchset } from '../common/fhir';
import type { Router } from '../common/http';
import { conflict, notFound, unprocessable } from '../common/outcome';
import { listRecords, readRecord } from '../common/records';
import { writeRoutes } from '../common/write';
import { encounterResource, patientResource } from './resources';
import { admissionDoc, encounterDoc, encounterInput, encounterQuery, patientDoc, patientInput, patientQuery } from './schemas';

export const PAS_TABLES = { patient: 'Patient', encounter: 'Encounter', admission: 'PatientAdmission' } as const;
const T = PAS_TABLES;

/** Patient administration: registration (id = NHS number), admission and discharge. */
export function registerPasRoutes(router: Router, storage: Storage): void {
  const write = writeRoutes(router, storage);
  const patient = (id: string) => readRecord(storage, T.patient, patientDoc, id);
  const encounter = (id: string) => readRecord(storage, T.encounter, encounterDoc, id);

  write('/Patient', { body: patientInput }, async ({ body, key }) => {
    const nhs = requireNhsNumber(body.nhsNumber, 'nhsNumber');
    if (await patient(nhs)) throw conflict(`NHS number ${nhs} is already registered (Patient/${nhs})`);
    const doc = { nhsNumber: nhs, name: body.name, birthDate: body.birthDate, gender: body.gender, idempotencyKey: key };
    return {
      status: 201,
      writes: [{ table: T.patient, id: nhs, doc, expectVersion: 0 }],
      respond: (version) => patientResource({ id: nhs, version, doc }),
      location: `/Patient/${nhs}`,
    };
  });

  router.get('/Patient/:id', {}, async ({ params }) => {
    const found = await patient(params.id);
    if (!found) throw notFound(`Patient/${params.id} is not registered`);
    return { status: 200, body: patientResource(found), headers: { ETag: etag(found.version) } };
  });

  router.get('/Patient', { query: patientQuery }, async ({ query }) => {
    if (query.identifier === undefined) {
      return { status: 200, body: searchset((await listRecords(storage, T.patient, patientDoc)).map(patientResource)) };
    }
    // FHIR token search: `system|value` or a bare value.
    const [system, value] = query.identifier.includes('|') ? query.identifier.split('|', 2) : [NHS_NUMBER_SYSTEM, query.identifier];
    const found = system === NHS_NUMBER_SYSTEM || system === '' ? await patient(value) : undefined;
    return { status: 200, body: searchset(found ? [patientResource(found)] : []) };
  });

  write('/Encounter', { body: encounterInput }, async ({ body, key }) => {
    const nhs = requireNhsNumber(body.patient, 'patient');
    if (!(await patient(nhs))) throw unprocessable(`patient ${nhs} is not registered: register the Patient before admitting`);
    const admission = await readRecord(storage, T.admission, admissionDoc, nhs);
    if (admission?.doc.encounter) {
      throw conflict(`patient ${nhs} is already admitted (Encounter/${admission.doc.encounter} is in progress)`);
    }
    const id = randomUUID();
    const doc = {
      patient: nhs,
      class: body.class,
      ...(body.reason ? { reason: body.reason } : {}),
      status: 'in-progress' as const,
      start: new Date().toISOString(),
      idempotencyKey: key,
    };
    return {
      status: 201,
      writes: [
        { table: T.encounter, id, doc, expectVersion: 0 },
        { table: T.admission, id: nhs, doc: { patient: nhs, encounter: id, idempotencyKey: key }, expectVersion: admission?.version ?? 0 },
      ],
      respond: (version) => encounterResource({ id, version, doc }),
      location: `/Encounter/${id}`,
    };
  });

  write('/Encounter/:id/$discharge', {}, async ({ params, key }) => {
    const current = await encounter(params.id);
    if (!current) throw notFound(`Encounter/${params.id} does not exist`);
    if (current.doc.status === 'finished') throw conflict(`Encounter/${params.id} is already finished (discharged at ${current.doc.end})`);
    const admission = await readRecord(storage, T.admission, admissionDoc, current.doc.patient);
    const doc = { ...current.doc, status: 'finished' as const, end: new Date().toISOString(), idempotencyKey: key };
    return {
      status: 200,
      writes: [
        { table: T.encounter, id: params.id, doc, expectVersion: current.version },
        ...(admission?.doc.encounter === params.id
          ? [{ table: T.admission, id: admission.id, doc: { ...admission.doc, encounter: null, idempotencyKey: key }, expectVersion: admission.version }]
          : []),
      ],
      respond: (version) => encounterResource({ id: params.id, version, doc }),
    };
  });

  router.get('/Encounter/:id', {}, async ({ params }) => {
    const found = await encounter(params.id);
    if (!found) throw notFound(`Encounter/${params.id} does not exist`);
    return { status: 200, body: encounterResource(found), headers: { ETag: etag(found.version) } };
  });

  router.get('/Encounter', { query: encounterQuery }, async ({ query }) => {
    const where = query.patient === undefined ? undefined : { field: 'patient', equals: query.patient };
    return { status: 200, body: searchset((await listRecords(storage, T.encounter, encounterDoc, where)).map(encounterResource)) };
  });
}
