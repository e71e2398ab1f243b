import { AuditSearchError, dateInterval, parseAuditQuery } from '../../../src/api/audit/auditSearch.js';
import { auditEventId, parseAuditEventId } from '../../../src/api/audit/auditEvent.js';

describe('AuditEvent search parameters', () => {
  test('dates stand for the interval of their precision', () => {
    expect(dateInterval('2024')).toEqual({ lo: new Date('2024-01-01T00:00:00Z'), hi: new Date('2025-01-01T00:00:00Z') });
    expect(dateInterval('2024-02')).toEqual({ lo: new Date('2024-02-01T00:00:00Z'), hi: new Date('2024-03-01T00:00:00Z') });
    expect(dateInterval('2024-02-29')).toEqual({ lo: new Date('2024-02-29T00:00:00Z'), hi: new Date('2024-03-01T00:00:00Z') });
    expect(dateInterval('2024-02-29T10:00:05Z').hi.getTime() - dateInterval('2024-02-29T10:00:05Z').lo.getTime()).toBe(1000);
  });

  test.each(['2024-13-45', '2023-02-29', '2024-01-01T25:00Z', "2024' OR 1=1", ''])('refuses the date %p', (value) => {
    expect(() => dateInterval(value)).toThrow(AuditSearchError);
  });

  test('parses patient, agent, action, date and paging; reports unknown parameters', () => {
    const { query, ignored } = parseAuditQuery({ patient: 'Patient/1000000001', agent: 'admin', action: 'C,U', date: ['ge2024-01-01', 'lt2025'], _count: '5', foo: 'bar' });
    expect(query).toMatchObject({ documentoId: '1000000001', agent: 'admin', actions: ['C', 'U'], count: 5, total: false });
    expect(query.dates.map((d) => d.op)).toEqual(['ge', 'lt']);
    expect(ignored).toEqual(['foo']);
  });

  test.each([{ patient: "1' OR '1'='1" }, { action: 'X' }, { _count: '0' }, { _count: '1001' }, { _cursor: 'bad' }, { _total: 'many' }, { agent: ['a', 'b'] }])(
    'refuses %p',
    (params) => {
      expect(() => parseAuditQuery(params)).toThrow(AuditSearchError);
    },
  );

  test('ids carry the shard key and round-trip', () => {
    const id = auditEventId('1000000001', '8e0c3c70-58a8-4b8f-8d8e-8c4c6b7a1e2f');
    expect(id.length).toBeLessThanOrEqual(64);
    expect(parseAuditEventId(id)).toEqual({ documentoId: '1000000001', eventId: '8e0c3c70-58a8-4b8f-8d8e-8c4c6b7a1e2f' });
    expect(parseAuditEventId('1-not-a-uuid')).toBeUndefined();
  });
});
