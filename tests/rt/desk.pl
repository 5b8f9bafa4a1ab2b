#!/usr/bin/perl
# Drive Debian's Request Tracker 5 as Helpdesk LKPP's desk for tests/test_rt_desk.py, with
# no web server: mail goes in through RT's own mail gateway code (what rt-mailgate posts
# to), agents answer through the code paths of RT's web UI (Ticket/Update.html:
# ProcessUpdateMessage) and of its REST 1.0 CLI (`rt correspond`: REST/1.0/Forms/ticket/comment).
# RT reads its configuration from RT_SITE_CONFIG / RT_SITE_CONFIG_DIR (set by the test).
#
#   desk.pl init               grant what an email desk grants; create agent "agent"
#   desk.pl mail < message     the gateway, queue General, action correspond; prints the ticket id
#   desk.pl web ID TEXT        an agent's answer from the web UI
#   desk.pl cli ID TEXT        an agent's answer from the CLI (REST 1.0 correspond)
#   desk.pl resolve ID         the agent resolves the ticket (RT's "Resolved:" notice)
#   desk.pl tickets            prints "id<TAB>subject<TAB>status" of every ticket
use strict;
use warnings;
use lib '/usr/share/request-tracker5/lib';
use RT -init;
use RT::Interface::Email;
use RT::Interface::Web;
use Encode;

my ($command, @args) = @ARGV;
my $queue = RT::Queue->new(RT->SystemUser);
$queue->Load('General') or die "no queue General\n";

sub agent_ticket {
    my ($id) = @_;
    my $agent = RT::CurrentUser->new;
    $agent->Load('agent') or die "no agent\n";
    my $ticket = RT::Ticket->new($agent);
    $ticket->Load($id) or die "no ticket $id\n";
    return $ticket;
}

if ($command eq 'init') {
    my $everyone = RT::Group->new(RT->SystemUser);
    $everyone->LoadSystemInternalGroup('Everyone');
    for my $right (qw(CreateTicket ReplyToTicket CommentOnTicket)) {
        my ($ok, $msg) = $everyone->PrincipalObj->GrantRight(Right => $right, Object => $queue);
        die "grant $right: $msg\n" unless $ok;
    }
    my $user = RT::User->new(RT->SystemUser);
    my ($ok, $msg) = $user->Create(Name => 'agent', EmailAddress => 'agent@lkpp.test', Privileged => 1,
                                   RealName => 'Agen Helpdesk LKPP');
    die "agent: $msg\n" unless $ok;
    for my $right (qw(SeeQueue ShowTicket ReplyToTicket CommentOnTicket ModifyTicket OwnTicket)) {
        ($ok, $msg) = $user->PrincipalObj->GrantRight(Right => $right, Object => $queue);
        die "grant $right: $msg\n" unless $ok;
    }
} elsif ($command eq 'mail') {
    local $/;
    my $message = <STDIN>;
    my ($status, $why, $ticket) = RT::Interface::Email::Gateway({queue => 'General', action => 'correspond',
                                                           message => $message});
    die "gateway: $status $why\n" unless $status == 1;
    print $ticket->id, "\n";
} elsif ($command eq 'web') {
    my ($id, $text) = @args;
    my $ticket = agent_ticket($id);
    # ProcessUpdateMessage (lib/RT/Interface/Web.pm), as Ticket/Update.html calls it
    my $message = HTML::Mason::Commands::MakeMIMEEntity(Subject => '', Body => Encode::decode('UTF-8', $text));
    $message->head->replace('Message-ID' => Encode::encode('UTF-8',
        RT::Interface::Email::GenMessageId(Ticket => $ticket)));
    my $first = $ticket->Transactions->First;
    if (my $quoted = $first->Message->First) {
        RT::Interface::Email::SetInReplyTo(Message => $message, InReplyTo => $quoted, Ticket => $ticket);
    }
    my ($txn, $msg) = $ticket->Correspond(MIMEObj => $message);
    die "correspond: $msg\n" unless $txn;
} elsif ($command eq 'cli') {
    my ($id, $text) = @args;
    my $ticket = agent_ticket($id);
    # REST/1.0/Forms/ticket/comment, as `rt correspond -m TEXT ID` posts it
    my $ent = MIME::Entity->build(Type => 'multipart/mixed', 'X-RT-Interface' => 'REST');
    $ent->attach(Type => 'text/plain', Charset => 'UTF-8', Data => $text);
    my ($txn, $msg) = $ticket->Correspond(MIMEObj => $ent);
    die "correspond: $msg\n" unless $txn;
} elsif ($command eq 'resolve') {
    my ($id) = @args;
    my ($ok, $msg) = agent_ticket($id)->SetStatus('resolved');
    die "resolve: $msg\n" unless $ok;
} elsif ($command eq 'tickets') {
    my $tickets = RT::Tickets->new(RT->SystemUser);
    $tickets->FromSQL("id > 0");
    $tickets->OrderBy(FIELD => 'id');
    while (my $t = $tickets->Next) {
        print join("\t", $t->id, $t->Subject, $t->Status), "\n";
    }
} else {
    die "unknown command $command\n";
}
