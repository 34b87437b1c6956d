// Word lists for realistic generated tenants. Plain data; no logic.

export const FIRST_NAMES: readonly string[] = (
  'Adele Alex Allan Amelie Ana Andrea Anna Antoine Arnaud Aurelie Ben Benoit Bianca Bruno Camille Carla Carlos ' +
  'Caroline Catherine Cecile Charles Chloe Christian Claire Clara Claude Daniel David Debra Diego Dimitri Dominique ' +
  'Elena Elise Emilie Emma Enzo Eric Erik Eva Fabien Fatima Felix Florence Francois Frank Gabriel Giulia Grace Greta ' +
  'Guillaume Hannah Hugo Ines Irene Isabelle Ivan Jack Jacques James Jan Jane Jasmine Jean Jennifer Jessica Joao Johan ' +
  'John Jonas Jordan Jose Joseph Julia Julie Julien Karim Karin Kate Katarina Kevin Klaus Lara Laura Laurent Lea Leila ' +
  'Leo Lidia Lina Lisa Louis Louise Luca Lucas Lucie Luis Lukas Lynne Magali Manon Marc Marco Margaux Maria Marie Marion ' +
  'Mark Martin Mathilde Matteo Max Megan Mehdi Mia Michael Michel Miguel Mila Miriam Mohamed Nadia Natasha Nathan ' +
  'Nestor Nicolas Nina Noah Nora Olivia Omar Oscar Patricia Patti Paul Pauline Pedro Peter Philippe Pierre Pradeep ' +
  'Quentin Rachel Rafael Raphael Rebecca Remi Robert Romain Rosa Sacha Samir Samuel Sandra Sara Sebastien Simon ' +
  'Sofia Sophie Stefan Stephanie Sven Sylvie Thomas Tim Tobias Ugo Valentin Valerie Vanessa Victor Vincent Wei Xavier ' +
  'Yann Yasmine Yuki Zoe'
).split(' ');

export const LAST_NAMES: readonly string[] = (
  'Adams Alvarez Andersen Arnaud Bauer Becker Benali Bernard Bertrand Blanc Bonnet Boyer Brown Brunet Caron Carter ' +
  'Chevalier Clark Clement Costa Dubois Dumont Dupont Durand Fabre Fischer Fontaine Fournier Francois Gagnon Garcia ' +
  'Garnier Gauthier Gerard Girard Gomez Gonzalez Guerin Hansen Harris Hoffmann Hughes Jansen Johnson Jones Keller ' +
  'Klein Koch Kowalski Lambert Larsen Laurent Leblanc Lefebvre Legrand Lemaire Leroy Lopez Lucas Martin Martinez ' +
  'Masson Mathieu Mercier Meyer Michel Miller Moreau Morel Muller Nguyen Nielsen Novak Olsen Perez Perrin Petit ' +
  'Peters Picard Ramirez Renard Richard Rivera Robert Robin Rodriguez Roger Rossi Rousseau Roussel Roux Russo Sanchez ' +
  'Schmidt Schneider Schulz Silva Simon Smith Souza Taylor Thomas Tran Vasquez Vidal Vincent Wagner Walker Weber ' +
  'White Williams Wilson Wright Young Zimmermann Andre Barbier Baron Brun Colin Denis Dufour Faure Gaillard Henry ' +
  'Joly Lacroix Leclerc Lemoine Marchand Marie Meunier Noel Olivier Paris Philippe Riviere Royer Schmitt Collins ' +
  'Evans Morgan Murphy Reed Stewart Turner Ward Bianchi Ferrari Romano Ricci Marino Greco Conti Ivanova Petrov Sato ' +
  'Suzuki Tanaka Kim Park Chen Wang Li Zhang Singh Patel Kumar Shah Haddad Mansour'
).split(' ');

export const CITIES: readonly string[] = (
  'paris lyon marseille lille nantes london berlin munich madrid barcelona milan rome amsterdam brussels dublin ' +
  'zurich geneva vienna lisbon warsaw prague stockholm oslo copenhagen helsinki newyork seattle toronto montreal ' +
  'singapore tokyo sydney dubai'
).split(' ');

export const SHARED_MAILBOX_NAMES: readonly string[] = (
  'accounts-payable accounts-receivable invoices payroll hr recruiting careers info contact support helpdesk ' +
  'it-helpdesk reception facilities legal compliance privacy press marketing sales-orders purchasing procurement ' +
  'customer-service events travel security-reports abuse noc billing treasury audit'
).split(' ');

export const EQUIPMENT_NAMES: readonly string[] = 'projector van car camera laptop-pool podcast-kit'.split(
  ' ',
);

export const GROUP_NAMES: readonly string[] = (
  'finance-team it-ops sales-emea sales-amer hr-team engineering leadership marketing-team legal-team ' +
  'customer-success product security-team procurement-team data-team design'
).split(' ');

export const SERVICE_ACCOUNT_NAMES: readonly string[] =
  'backup scanner sync-agent adconnect monitoring print reporting jenkins sharepoint-crawler dynamics-integration'.split(
    ' ',
  );

/** How a sending domain shapes its Message-ID and from which address range it sends. */
export type IdStyle = 'gmail' | 'exchangeOnline' | 'amazonSes' | 'guid';
export type IpRange = 'google' | 'microsoft' | 'amazon' | 'generic';

export interface ExternalDomain {
  domain: string;
  idStyle: IdStyle;
  ipRange: IpRange;
  /** Senders that are services rather than people (no personal name). */
  serviceSenders?: readonly string[];
}

export const EXTERNAL_DOMAINS: readonly ExternalDomain[] = [
  { domain: 'gmail.com', idStyle: 'gmail', ipRange: 'google' },
  { domain: 'outlook.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'hotmail.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'yahoo.com', idStyle: 'guid', ipRange: 'generic' },
  { domain: 'fabrikam.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'northwindtraders.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'adventure-works.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'tailspintoys.com', idStyle: 'gmail', ipRange: 'google' },
  { domain: 'wingtiptoys.com', idStyle: 'guid', ipRange: 'generic' },
  { domain: 'litwareinc.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'proseware.com', idStyle: 'guid', ipRange: 'generic' },
  { domain: 'woodgrovebank.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'alpineskihouse.com', idStyle: 'gmail', ipRange: 'google' },
  { domain: 'relecloud.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'lamnahealthcare.com', idStyle: 'guid', ipRange: 'generic' },
  { domain: 'margiestravel.com', idStyle: 'gmail', ipRange: 'google' },
  { domain: 'coho-winery.com', idStyle: 'guid', ipRange: 'generic' },
  { domain: 'blueyonderairlines.com', idStyle: 'exchangeOnline', ipRange: 'microsoft' },
  { domain: 'docusign.net', idStyle: 'guid', ipRange: 'generic', serviceSenders: ['dse', 'dse_na4'] },
  {
    domain: 'amazonaws.com',
    idStyle: 'amazonSes',
    ipRange: 'amazon',
    serviceSenders: ['no-reply-aws', 'aws-billing'],
  },
  {
    domain: 'linkedin.com',
    idStyle: 'guid',
    ipRange: 'generic',
    serviceSenders: ['messages-noreply', 'jobs-noreply'],
  },
  { domain: 'github.com', idStyle: 'guid', ipRange: 'generic', serviceSenders: ['noreply', 'notifications'] },
  { domain: 'zoom.us', idStyle: 'amazonSes', ipRange: 'amazon', serviceSenders: ['no-reply'] },
  { domain: 'salesforce.com', idStyle: 'guid', ipRange: 'generic', serviceSenders: ['noreply', 'support'] },
  { domain: 'mailchimpapp.net', idStyle: 'amazonSes', ipRange: 'amazon', serviceSenders: ['newsletter'] },
];

export const INBOUND_SUBJECTS: readonly string[] = [
  'Invoice INV-{n}',
  'RE: Quote request {n}',
  'Your order #{n} has shipped',
  'Meeting request: project kickoff',
  'Proposal for Q{q} partnership',
  'Contract renewal - reminder',
  'RE: Follow-up on our call',
  'Payment confirmation {n}',
  'Please review and sign: NDA',
  'Your monthly statement is ready',
  'Webinar invitation: cloud security trends',
  'New sign-in to your account',
  'Delivery notification {n}',
  'RE: Pricing update for {y}',
  'FW: Shipping schedule',
  'Reminder: conference registration closes Friday',
  'Your support ticket #{n} was updated',
  'Newsletter - product updates',
  'Purchase order PO-{n}',
  'Re: Candidate application - {n}',
  'Accepted: Weekly sync',
  'Out of office: RE: timeline',
  'Security alert for your account',
  'Receipt for your payment',
  'Price list {y}',
];

export const INTERNAL_SUBJECTS: readonly string[] = [
  'Weekly status report',
  'RE: Budget {y}',
  'Team lunch on Friday',
  'Updated: all-hands agenda',
  'Q{q} planning',
  'RE: Slides for tomorrow',
  'FW: Customer feedback',
  'Holiday schedule',
  'Onboarding checklist',
  'Expense report {n}',
  'RE: Code review',
  'Draft: press release',
  'Office move - floor {f}',
  'RE: Travel approval',
  'Minutes: steering committee',
  'Quick question',
  'RE: Incident {n} post-mortem',
  'Parking access update',
  'Welcome our new colleagues',
  'Reminder: timesheets due',
];

export const OUTBOUND_SUBJECTS: readonly string[] = [
  'RE: Invoice INV-{n}',
  'Quote {n}',
  'RE: Meeting request: project kickoff',
  'Contract draft v{f}',
  'RE: Your application',
  'Follow-up on our call',
  'Purchase order PO-{n}',
  'RE: Support ticket #{n}',
  'Documents you asked for',
  'Thank you for your visit',
];
