import { useTranslation } from 'react-i18next';
import { Page } from '../../components/Page';

export function Retention() {
  const { t } = useTranslation();
  return <Page title={t('nav.retention')}>{t('common.soon')}</Page>;
}
