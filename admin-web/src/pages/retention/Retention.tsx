import { Tabs } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { Page } from '../../components/Page';
import { Holds } from './Holds';
import { Overrides } from './Overrides';
import { Policy } from './Policy';
import { Runs } from './Runs';

export function Retention() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'policy';
  return (
    <Page title={t('retention.title')}>
      <Tabs value={tab} onChange={(v) => setParams(v && v !== 'policy' ? { tab: v } : {})} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="policy">{t('retention.policy')}</Tabs.Tab>
          <Tabs.Tab value="overrides">{t('retention.overrides')}</Tabs.Tab>
          <Tabs.Tab value="holds">{t('retention.holds')}</Tabs.Tab>
          <Tabs.Tab value="runs">{t('retention.runs')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="policy" pt="md">
          <Policy />
        </Tabs.Panel>
        <Tabs.Panel value="overrides" pt="md">
          <Overrides />
        </Tabs.Panel>
        <Tabs.Panel value="holds" pt="md">
          <Holds />
        </Tabs.Panel>
        <Tabs.Panel value="runs" pt="md">
          <Runs />
        </Tabs.Panel>
      </Tabs>
    </Page>
  );
}
