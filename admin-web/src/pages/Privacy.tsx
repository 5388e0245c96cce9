import { useTranslation } from 'react-i18next';
import { Page } from '../components/Page';

export function Privacy() {
  const { t } = useTranslation();
  return <Page title={t('nav.privacy')}>{t('common.soon')}</Page>;
}
