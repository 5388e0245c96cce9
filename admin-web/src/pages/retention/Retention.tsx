import { useTranslation } from 'react-i18next';
import { Page } from '../../components/Page';
import { PageTabs } from '../../components/PageTabs';
import { Holds } from './Holds';
import { Overrides } from './Overrides';
import { Policy } from './Policy';
import { Runs } from './Runs';

export function Retention() {
  const { t } = useTranslation();
  return (
    <Page title={t('retention.title')}>
      <PageTabs
        tabs={[
          { value: 'policy', label: t('retention.policy'), content: <Policy /> },
          { value: 'overrides', label: t('retention.overrides'), content: <Overrides /> },
          { value: 'holds', label: t('retention.holds'), content: <Holds /> },
          { value: 'runs', label: t('retention.runs'), content: <Runs /> },
        ]}
      />
    </Page>
  );
}
