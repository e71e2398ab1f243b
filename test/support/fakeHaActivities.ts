/**
 * Stand-ins for the failover activities (test/support/fakeActivities.ts spreads them in): an
 * in-memory model of every group's primary and fenced members, recording each call.
 */
import type { LabActivities } from '../../src/activities/index.js';
import type { LabSpec } from '../../src/config/labSpec.js';
import { nodeNames } from '../../src/environments/labEnvironment.js';
import type { Recorder } from './fakeActivities.js';

type HaActivityNames =
  | 'ensureStandbys'
  | 'planFailover'
  | 'fenceMember'
  | 'promoteMember'
  | 'updateGroupNode'
  | 'takeOverGroup'
  | 'rebuildMember'
  | 'switchoverGroup'
  | 'watchPrimaries'
  | 'healNodeFault'
  | 'groupRecovery';

export interface FakeGroups {
  primary: Map<string, string>;
  fenced: Set<string>;
}

export function fakeGroups(): FakeGroups {
  return { primary: new Map(), fenced: new Set() };
}

const groupOf = (member: string) => member.replace(/-s\d+$/, '');

export function createFakeHaActivities(record: Recorder, state: FakeGroups = fakeGroups()): Pick<LabActivities, HaActivityNames> {
  const primaryOf = (group: string) => state.primary.get(group) ?? group;
  return {
    async ensureStandbys(spec: LabSpec) {
      record('ensureStandbys');
      return { created: nodeNames(spec).map((g) => `${g}-s1`), started: nodeNames(spec).map((g) => `${g}-s1`), existing: [] };
    },
    async planFailover(_spec, group) {
      record('planFailover', group);
      const oldPrimary = primaryOf(group);
      const candidate = oldPrimary === group ? `${group}-s1` : group;
      return { group, oldPrimary, candidate, positions: [{ member: candidate, inRecovery: true, lsn: '0/3000060' }] };
    },
    async fenceMember(_spec, member) {
      record('fenceMember', member);
      state.fenced.add(member);
      return { member, wasRunning: true, at: Date.now() };
    },
    async promoteMember(_spec, member) {
      record('promoteMember', member);
      const already = primaryOf(groupOf(member)) === member;
      state.primary.set(groupOf(member), member);
      return { member, alreadyPrimary: already, at: Date.now() };
    },
    async updateGroupNode(_spec, group, member) {
      record('updateGroupNode', `${group}->${member}`);
      return { group, nodeId: 2, from: '127.0.0.1:40001', to: '127.0.0.1:40101', changed: true, at: Date.now() };
    },
    async takeOverGroup(_spec, plan) {
      record('takeOverGroup', `${plan.oldPrimary}->${plan.candidate}`);
      const at = Date.now();
      const already = primaryOf(plan.group) === plan.candidate;
      state.fenced.add(plan.oldPrimary);
      state.primary.set(plan.group, plan.candidate);
      return {
        fence: { member: plan.oldPrimary, wasRunning: true, startedAt: at, endedAt: at + 5 },
        promote: { member: plan.candidate, alreadyPrimary: already, startedAt: at + 5, endedAt: at + 60 },
        nodeUpdate: { group: plan.group, nodeId: 2, from: '127.0.0.1:40001', to: '127.0.0.1:40101', changed: true, at: at + 80, startedAt: at + 60, endedAt: at + 80 },
      };
    },
    async rebuildMember(_spec, member) {
      record('rebuildMember', member);
      state.fenced.delete(member);
      return { member, method: 'rewind' as const, durationMs: 300 };
    },
    async switchoverGroup(_spec, group, _target, plan) {
      record('switchoverGroup', plan ? `${group}, plan ${plan.oldPrimary}->${plan.candidate}` : group);
      const oldPrimary = primaryOf(group);
      const newPrimary = oldPrimary === group ? `${group}-s1` : group;
      state.primary.set(group, newPrimary);
      state.fenced.add(oldPrimary);
      const at = Date.now();
      return {
        group,
        oldPrimary,
        newPrimary,
        pausedAt: at - 120,
        resumedAt: at,
        pauseMs: 120,
        nodeUpdate: { group, nodeId: 2, from: '127.0.0.1:40001', to: '127.0.0.1:40101', changed: true, at },
        resumed: false,
      };
    },
    async healNodeFault(_spec, node) {
      record('healNodeFault', node);
    },
    async groupRecovery(_spec, fault) {
      record('groupRecovery', fault.node);
      const primaryNow = primaryOf(fault.node);
      const primaryBefore = fault.member ?? fault.node;
      return {
        node: fault.node,
        by: primaryNow === primaryBefore ? ('restart' as const) : ('failover' as const),
        primaryBefore,
        primaryNow,
        addressBefore: fault.address ?? '127.0.0.1:40001',
        addressNow: primaryNow === primaryBefore ? (fault.address ?? '127.0.0.1:40001') : '127.0.0.1:40101',
      };
    },
    async watchPrimaries() {
      record('watchPrimaries');
      return { kind: 'stopped' as const };
    },
  };
}
