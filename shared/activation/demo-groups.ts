// The seeds' privileged group: it holds the Search and Purge role; Alex is eligible as a member.
export const DEMO_GROUPS = [
  {
    id: '7b3c2f4e-8d1a-4e6b-9c5f-0a1b2c3d4e5f',
    displayName: 'Search and Purge PIM',
    description: 'Role-assignable group that holds the Search and Purge role (Defender for Office 365).',
    isAssignableToRole: true,
  },
] as const;
