import { randomUUID } from 'node:crypto';
import type { Storage } from '../san/storage';
import { NHS_NUMBER_SYSTEM, etag, isResource, requireNhsNumber, searchset, type Identifier } from '../common/fhir';
import { parse, type Router } from '../common/http';
import { conditionalMatch, identifierWrites, ifNoneExist, searchByIdentifier } from '../common/identifiers';
import { conflict, notFound, unprocessable } from '../common/outcome';
import { listRecords, readRecord, type Rec } from '../common/records';
import { writeRoutes } from '../common/write';
import { encounterResource, patientResource } from './resources';
import {
  admissionDoc,
  encounterDoc,
  encounterInput,
  encounterQuery,
  fhirEncounterInput,
  fhirPatientInput,
  patientDoc,
  patientInput,
  patientQuery,
  type EncounterDoc,
  type PatientDoc,
} from './schemas';

export const PAS_TABLES = { patient: 'Patient', encounter: 'Encounter', admission: 'PatientAdmission' } as const;
const T = PAS_TABLES;

/**
 * Patient administration: registration (id = NHS number), admission and discharge. Registration
 * and admission also take the standard FHIR R4 Patient and Encounter (with `If-None-Exist`).
 */
export function registerPasRoutes(router: Router, storage: Storage): void {
  const write = writeRoutes(router, storage);
  const patient = (id: string) => readRecord(storage, T.patient, patientDoc, id);
  const encounter = (id: string) => readRecord(storage, T.encounter, encounterDoc, id);
  const patientIdentifiers = (r: Rec<PatientDoc>): Identifier[] => [{ system: NHS_NUMBER_SYSTEM, value: r.doc.nhsNumber }, ...(r.doc.identifier ?? [])];
  const patientsWith = async (token: string) =>
    searchByIdentifier(storage, T.patient, token, {
      load: patient,
      scan: () => listRecords(storage, T.patient, patientDoc),
      identifiers: patientIdentifiers,
    }).then(async (found) => {
      // The NHS number is the id, not indexed: look it up directly.
      const [system, value] = token.includes('|') ? token.split('|', 2) : [undefined, token];
      if ((system === NHS_NUMBER_SYSTEM || system === undefined) && value && !found.some((r) => r.id === value)) {
        const byId = await patient(value);
        if (byId) found.push(byId);
      }
      return found;
    });
  const encountersWith = (token: string) =>
    searchByIdentifier(storage, T.encounter, token, {
      load: encounter,
      scan: () => listRecords(storage, T.encounter, encounterDoc),
      identifiers: (r: Rec<EncounterDoc>) => r.doc.identifier ?? [],
    });

  write('/Patient', {}, async ({ json, key, headers }) => {
    const fhir = isResource(json, 'Patient');
    const body = fhir ? parse(fhirPatientInput, json, 'body') : { ...parse(patientInput, json, 'body'), identifier: [] };
    const nhs = requireNhsNumber(body.nhsNumber, fhir ? 'identifier' : 'nhsNumber');
    const match = await conditionalMatch(headers, (i) => patientsWith(`${i.system}|${i.value}`));
    if (match) return { existing: { status: 200, body: patientResource(match), headers: { ETag: etag(match.version), Location: `/Patient/${match.id}` } } };
    if (await patient(nhs)) throw conflict(`NHS number ${nhs} is already registered (Patient/${nhs})`);
    const doc = {
      nhsNumber: nhs,
      name: body.name,
      birthDate: body.birthDate,
      gender: body.gender,
      ...(body.identifier.length ? { identifier: body.identifier } : {}),
      idempotencyKey: key,
    };
    return {
      status: 201,
      writes: [{ table: T.patient, id: nhs, doc, expectVersion: 0 }, ...(await identifierWrites(storage, T.patient, body.identifier, nhs, key, ifNoneExist(headers)))],
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
    // FHIR token search: `system|value`, `system|`, or a bare value (the NHS number or any other identifier).
    return { status: 200, body: searchset((await patientsWith(query.identifier)).map(patientResource)) };
  });

  write('/Encounter', {}, async ({ json, key, headers }) => {
    const fhir = isResource(json, 'Encounter');
    const body = fhir ? parse(fhirEncounterInput, json, 'body') : { ...parse(encounterInput, json, 'body'), identifier: [] };
    const match = await conditionalMatch(headers, (i) => encountersWith(`${i.system}|${i.value}`));
    if (match) return { existing: { status: 200, body: encounterResource(match), headers: { ETag: etag(match.version), Location: `/Encounter/${match.id}` } } };
    const nhs = requireNhsNumber(body.patient, fhir ? 'subject' : 'patient');
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
      ...(body.identifier.length ? { identifier: body.identifier } : {}),
      idempotencyKey: key,
    };
    return {
      status: 201,
      writes: [
        { table: T.encounter, id, doc, expectVersion: 0 },
        { table: T.admission, id: nhs, doc: { patient: nhs, encounter: id, idempotencyKey: key }, expectVersion: admission?.version ?? 0 },
        ...(await identifierWrites(storage, T.encounter, body.identifier, id, key, ifNoneExist(headers))),
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
    if (query.identifier !== undefined) {
      const found = await encountersWith(query.identifier);
      return { status: 200, body: searchset(found.filter((r) => query.patient === undefined || r.doc.patient === query.patient).map(encounterResource)) };
    }
    const where = query.patient === undefined ? undefined : { field: 'patient', equals: query.patient };
    return { status: 200, body: searchset((await listRecords(storage, T.encounter, encounterDoc, where)).map(encounterResource)) };
  });
}
