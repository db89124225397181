// The demo tenant's people, with fixed object ids so that tokens printed by `npm run token` and the
// seeded demo data (eligibilities, group members, approvers) refer to the same principals.

export type DemoUserKey = 'alex' | 'adele' | 'megan' | 'reader' | 'other';

export type DemoPersona = 'requester' | 'approver' | 'admin' | 'reader' | 'other';

export interface DemoUser {
  key: DemoUserKey;
  /** Object id: the token's `oid` and `sub`, and the principal id everywhere in the API. */
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle: string;
  persona: DemoPersona;
}

export const DEMO_TENANT_ID = 'c25cf067-ca3e-407d-880d-5508f1510d4a';

export const DEMO_USERS: Readonly<Record<DemoUserKey, DemoUser>> = Object.freeze({
  alex: {
    key: 'alex',
    id: '94eb658c-e0dd-4d98-ae7c-c27dd87b5925',
    displayName: 'Alex Wilber',
    userPrincipalName: 'alexw@contoso.example',
    jobTitle: 'Security Analyst',
    persona: 'requester',
  },
  adele: {
    key: 'adele',
    id: 'f1f694cb-93d3-4bbf-8d8b-a9018f1b11cc',
    displayName: 'Adele Vance',
    userPrincipalName: 'adelev@contoso.example',
    jobTitle: 'Security Operations Lead',
    persona: 'approver',
  },
  megan: {
    key: 'megan',
    id: 'fb62aed6-ed77-43d5-b57d-111f4c2426c2',
    displayName: 'Megan Bowen',
    userPrincipalName: 'meganb@contoso.example',
    jobTitle: 'Privileged Role Administrator',
    persona: 'admin',
  },
  reader: {
    key: 'reader',
    id: '554004bf-4914-42d8-9e1f-034e2c6fdd6f',
    displayName: 'Isaiah Langer',
    userPrincipalName: 'isaiahl@contoso.example',
    jobTitle: 'Security Reader',
    persona: 'reader',
  },
  other: {
    key: 'other',
    id: 'abf16eb7-ad14-40a9-bf65-aebe57700eca',
    displayName: 'Lee Gu',
    userPrincipalName: 'leeg@contoso.example',
    jobTitle: 'Engineer',
    persona: 'other',
  },
});

export function isDemoUserKey(key: string): key is DemoUserKey {
  return Object.hasOwn(DEMO_USERS, key);
}

/** The demo user with this key, or undefined. */
export function demoUser(key: string): DemoUser | undefined {
  return isDemoUserKey(key) ? DEMO_USERS[key] : undefined;
}
