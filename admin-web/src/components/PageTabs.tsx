import { Tabs } from '@mantine/core';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';

/** One tab of a page: its key in the address (`?tab=`), its label and what it shows. */
export interface PageTab {
  value: string;
  label: string;
  content: ReactNode;
}

/**
 * A page's tabs, the open one kept in the address (`?tab=…`, absent for the first) so that a
 * link or a reload opens the same tab; only the open tab is mounted.
 */
export function PageTabs({ tabs }: { tabs: PageTab[] }) {
  const [params, setParams] = useSearchParams();
  const first = tabs[0]?.value;
  const tab = params.get('tab') ?? first;
  return (
    <Tabs value={tab} onChange={(v) => setParams(v && v !== first ? { tab: v } : {})} keepMounted={false}>
      <Tabs.List>
        {tabs.map((x) => (
          <Tabs.Tab key={x.value} value={x.value}>
            {x.label}
          </Tabs.Tab>
        ))}
      </Tabs.List>
      {tabs.map((x) => (
        <Tabs.Panel key={x.value} value={x.value} pt="md">
          {x.content}
        </Tabs.Panel>
      ))}
    </Tabs>
  );
}
