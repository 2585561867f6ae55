/*  itest_marathon — kill -9 the broker again and again while several
    senders submit concurrently and retry every unacknowledged message with
    the same message id, and a recipient receipts what it gets (confirming
    its receipts with a Ping behind them). At the end: every acknowledged
    message was delivered, none was delivered again after its receipt was
    confirmed, nothing was acknowledged twice as new, and the audit chain
    verifies.
    make check runs a short variant (3 kills, 2,001 messages); with
    SAMHAND_MARATHON_LONG=1 (make marathon) 25 kills and 24,000 messages.
    Everything here is invented.                                           */
#include "harness.h"
#include "testlib.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

//  The crisis centre is not a sender here: without a consent nothing it
//  sends reaches the police, so its messages would have no delivery.
#define SENDERS 3
#define WINDOW  50
static const char *sender_names [SENDERS] = { "vakt", "koordinator", "tryggest" };

typedef struct {
    harness_t *h;
    int per_sender;
    atomic_int acked_total;
    atomic_int senders_done;
    atomic_int stop_receiver;
    atomic_int retries;             //  submits sent again after no answer or an error
    atomic_int duplicates_acked;    //  acks answered "duplicate": an earlier try was stored
    //  per (sender, seq)
    atomic_uchar *acked;
    atomic_int *delivered;          //  deliveries received
    atomic_uchar *confirmed;        //  receipt confirmed by a Pong behind it
    atomic_int after_confirm;       //  deliveries received after a confirmed receipt
    atomic_int deliveries;
} run_t;

static int
s_index (run_t *run, int sender, int seq)
{
    return sender * run->per_sender + seq;
}

static void
s_id (int sender, int seq, uint8_t id [16])
{
    memset (id, 0x4D, 16);          //  'M' for marathon
    id [0] = (uint8_t) sender;
    id [1] = (uint8_t) (seq >> 24);
    id [2] = (uint8_t) (seq >> 16);
    id [3] = (uint8_t) (seq >> 8);
    id [4] = (uint8_t) seq;
}

static bool
s_parse_id (run_t *run, const ProtobufCBinaryData *id, int *sender, int *seq)
{
    if (id->len != 16 || id->data [5] != 0x4D || id->data [0] >= SENDERS)
        return false;
    *sender = id->data [0];
    *seq = (id->data [1] << 24) | (id->data [2] << 16) | (id->data [3] << 8) | id->data [4];
    return *seq >= 0 && *seq < run->per_sender;
}

static void
s_send_submit (hclient_t *c, int sender, int seq)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__Agency to [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: marathon message, same id on retry.");
    s_id (sender, seq, id);
    submit.message_id = (ProtobufCBinaryData) { 16, id };
    submit.recipients = to;
    submit.n_recipients = 1;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    frame.request_id = (uint64_t) seq + 1;
    hclient_send (c, &frame);
}

typedef struct {
    run_t *run;
    int sender;
} sender_arg_t;

//  Windows of submits; every one not acknowledged within a while is sent
//  again with the same message id, until all of the window are.
static void *
s_sender (void *arg)
{
    sender_arg_t *a = (sender_arg_t *) arg;
    run_t *run = a->run;
    hclient_t *c = hclient_new (run->h, sender_names [a->sender]);
    for (int base = 0; c && base < run->per_sender; base += WINDOW) {
        int end = base + WINDOW < run->per_sender? base + WINDOW: run->per_sender;
        int open = end - base;
        for (int seq = base; seq < end; seq++)
            s_send_submit (c, a->sender, seq);
        int64_t resend_at = zclock_mono () + 2000;
        while (open > 0) {
            Samhand__V1__Frame *f = hclient_recv (c, 200);
            if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
            &&  f->submit_result->accepted) {
                int sender, seq;
                if (s_parse_id (run, &f->submit_result->message_id, &sender, &seq)
                &&  sender == a->sender && seq >= base && seq < end
                &&  !atomic_exchange (&run->acked [s_index (run, sender, seq)], 1)) {
                    open--;
                    atomic_fetch_add (&run->acked_total, 1);
                    if (f->submit_result->duplicate)
                        atomic_fetch_add (&run->duplicates_acked, 1);
                }
            }
            frame_free (&f);
            if (open > 0 && zclock_mono () >= resend_at) {
                //  No answer (the broker died, or said INTERNAL): the same again.
                for (int seq = base; seq < end; seq++)
                    if (!atomic_load (&run->acked [s_index (run, a->sender, seq)])) {
                        s_send_submit (c, a->sender, seq);
                        atomic_fetch_add (&run->retries, 1);
                    }
                resend_at = zclock_mono () + 2000;
            }
        }
    }
    hclient_destroy (&c);
    atomic_fetch_add (&run->senders_done, 1);
    return NULL;
}

//  Which receipts a Pong confirms (PROTOCOL.md §4). Each receipt keeps
//  the broker run of the last Pong before it was sent; a Pong confirms
//  the receipts of its Ping only if it comes from that same run. Not
//  "the run of the last Pong before the confirming one": when the broker
//  is down for more than two quiet periods, two Pings wait in the DEALER
//  and both reach the new run; the first Pong (not the awaited one)
//  would name the new run, and the second would then confirm receipts
//  that were written to the dead broker and lost, whose deliveries
//  rightly come again (the same delivery id, attempt 2). Any Error
//  (a refused receipt) leaves every receipt not yet confirmed unconfirmed.
typedef struct {
    int index;              //  message (sender, seq)
    int run;                //  broker run it was sent to; -1: unknown
} receipt_t;

typedef struct {
    receipt_t *pending;     //  receipted, no Ping behind them yet
    int n_pending;
    receipt_t *batch;       //  receipted, the Ping behind them awaited
    int n_batch;
    int max;
    uint64_t nonce, waiting;
    char instance [40];     //  broker run of the last Pong
    int run;                //  how many runs seen; 0: none yet
    atomic_uchar *confirmed;
} ledger_t;

static bool
s_ledger_init (ledger_t *l, int max, atomic_uchar *confirmed)
{
    memset (l, 0, sizeof *l);
    l->pending = (receipt_t *) calloc ((size_t) max, sizeof (receipt_t));
    l->batch = (receipt_t *) calloc ((size_t) max, sizeof (receipt_t));
    l->max = max;
    l->confirmed = confirmed;
    return l->pending && l->batch;
}

static void
s_ledger_free (ledger_t *l)
{
    free (l->pending);
    free (l->batch);
}

//  A receipt was sent for message INDEX.
static void
s_ledger_receipted (ledger_t *l, int index)
{
    if (l->n_pending < l->max)      //  beyond: never confirmed, which is safe
        l->pending [l->n_pending++] = (receipt_t) { index, l->run? l->run: -1 };
}

//  The nonce of a Ping to send behind the pending receipts, or 0.
static uint64_t
s_ledger_ping (ledger_t *l)
{
    if (l->waiting || !l->n_pending)
        return 0;
    memcpy (l->batch, l->pending, sizeof (receipt_t) * (size_t) l->n_pending);
    l->n_batch = l->n_pending;
    l->n_pending = 0;
    return l->waiting = ++l->nonce;
}

static void
s_ledger_pong (ledger_t *l, uint64_t nonce, const char *instance)
{
    if (strcmp (l->instance, instance)) {
        snprintf (l->instance, sizeof l->instance, "%s", instance);
        l->run++;
    }
    if (!l->waiting || nonce != l->waiting)
        return;
    for (int k = 0; k < l->n_batch; k++)
        if (l->batch [k].run == l->run)
            atomic_store (&l->confirmed [l->batch [k].index], 1);
    l->n_batch = 0;
    l->waiting = 0;
}

//  An Error: one of the receipts may be refused; none is confirmed.
static void
s_ledger_refused (ledger_t *l)
{
    for (int k = 0; k < l->n_pending; k++)
        l->pending [k].run = -1;
    for (int k = 0; k < l->n_batch; k++)
        l->batch [k].run = -1;
}

//  Quiet: the awaited Pong may be lost with the old broker; the receipts
//  go behind the next Ping (still tied to the run they were sent to).
static void
s_ledger_quiet (ledger_t *l)
{
    if (!l->waiting)
        return;
    for (int k = 0; k < l->n_batch && l->n_pending < l->max; k++)
        l->pending [l->n_pending++] = l->batch [k];
    l->n_batch = 0;
    l->waiting = 0;
}

//  The sequence of a failed run, replayed without sockets: a receipt
//  sent to run A, the broker down over three quiet periods (Pings 1, 2
//  and 3 queued, the first lost with A), then Pongs 2 and 3 from run B.
static void
s_ledger_selftest (void)
{
    atomic_uchar confirmed [8] = { 0 };
    ledger_t l;
    CHECK (s_ledger_init (&l, 8, confirmed), "ledger: allocated");
    s_ledger_receipted (&l, 0);             //  before any Pong: run unknown
    uint64_t n = s_ledger_ping (&l);
    s_ledger_pong (&l, n, "run-a");
    CHECK (!confirmed [0], "ledger: a receipt sent before any Pong is not confirmed");
    s_ledger_receipted (&l, 1);             //  to run A, which dies with it
    s_ledger_ping (&l);
    s_ledger_quiet (&l);
    uint64_t second = s_ledger_ping (&l);
    s_ledger_quiet (&l);
    uint64_t third = s_ledger_ping (&l);
    s_ledger_pong (&l, second, "run-b");    //  not awaited, but names run B
    s_ledger_pong (&l, third, "run-b");
    CHECK (!confirmed [1], "ledger: a receipt sent to a run that died is not confirmed by its"
                           " successor, even after another Pong from the successor");
    s_ledger_receipted (&l, 2);
    s_ledger_pong (&l, s_ledger_ping (&l), "run-b");
    CHECK (confirmed [2], "ledger: a receipt is confirmed by a Pong of the run it was sent to");
    s_ledger_receipted (&l, 3);
    n = s_ledger_ping (&l);
    s_ledger_refused (&l);
    s_ledger_pong (&l, n, "run-b");
    CHECK (!confirmed [3], "ledger: after an Error no receipt behind it is confirmed");
    s_ledger_free (&l);
}

//  The recipient: receipts every delivery; a Ping after them confirms the
//  receipts (the Pong comes after the cycle that recorded them committed).
//  Subscribes again whenever things go quiet (the broker may be new).
static void *
s_receiver (void *arg)
{
    run_t *run = (run_t *) arg;
    hclient_t *c = hclient_new (run->h, "politi-risk");
    ledger_t ledger;
    if (!s_ledger_init (&ledger, 2 * SENDERS * run->per_sender, run->confirmed))
        hclient_destroy (&c);
    int64_t quiet_since = zclock_mono (), last_subscribe = 0;
    while (c && !atomic_load (&run->stop_receiver)) {
        Samhand__V1__Frame *f = hclient_recv (c, 100);
        int64_t now = zclock_mono ();
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_DELIVER) {
            quiet_since = now;
            int sender, seq;
            if (s_parse_id (run, &f->deliver->message_id, &sender, &seq)) {
                int i = s_index (run, sender, seq);
                atomic_fetch_add (&run->delivered [i], 1);
                atomic_fetch_add (&run->deliveries, 1);
                if (atomic_load (&run->confirmed [i]))
                    atomic_fetch_add (&run->after_confirm, 1);
                s_ledger_receipted (&ledger, i);
            }
            hclient_receipt (c, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        }
        else
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_PONG)
            s_ledger_pong (&ledger, f->pong->nonce, f->pong->instance);
        else
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR)
            s_ledger_refused (&ledger);
        frame_free (&f);
        //  Confirm the receipts sent so far with one Ping behind them.
        uint64_t nonce = s_ledger_ping (&ledger);
        if (nonce) {
            Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
            Samhand__V1__Ping ping = SAMHAND__V1__PING__INIT;
            ping.nonce = nonce;
            frame.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
            frame.ping = &ping;
            hclient_send (c, &frame);
        }
        if (now - quiet_since > 700 && now - last_subscribe > 700) {
            //  Quiet: maybe a new broker that does not know this session, or
            //  a Pong lost with the old one (its receipts stay unconfirmed).
            Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
            Samhand__V1__Subscribe sub = SAMHAND__V1__SUBSCRIBE__INIT;
            frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE;
            frame.subscribe = &sub;
            hclient_send (c, &frame);
            last_subscribe = now;
            s_ledger_quiet (&ledger);
        }
    }
    s_ledger_free (&ledger);
    hclient_destroy (&c);
    return NULL;
}

int
main (void)
{
    bool longrun = getenv ("SAMHAND_MARATHON_LONG") && *getenv ("SAMHAND_MARATHON_LONG") == '1';
    int kills = longrun? 25: 3;
    run_t *run = (run_t *) zmalloc (sizeof (run_t));
    run->per_sender = longrun? 8000: 667;
    int total = SENDERS * run->per_sender;
    run->acked = (atomic_uchar *) calloc ((size_t) total, sizeof (atomic_uchar));
    run->delivered = (atomic_int *) calloc ((size_t) total, sizeof (atomic_int));
    run->confirmed = (atomic_uchar *) calloc ((size_t) total, sizeof (atomic_uchar));
    s_ledger_selftest ();
    run->h = harness_new ("limits\n    max_outbox = 1000000\n    redeliver_after = 5\n");
    CHECK (run->h && harness_start (run->h) == 0, "broker starts for the marathon");
    if (!run->h || !run->h->pid)
        return TEST_DONE ();
    int64_t t0 = zclock_mono ();
    pthread_t senders [SENDERS], receiver;
    sender_arg_t args [SENDERS];
    pthread_create (&receiver, NULL, s_receiver, run);
    for (int i = 0; i < SENDERS; i++) {
        args [i] = (sender_arg_t) { run, i };
        pthread_create (&senders [i], NULL, s_sender, &args [i]);
    }
    //  kill -9 whenever another share of the messages has been acknowledged.
    int killed = 0, restarted = 0;
    for (int k = 1; k <= kills; k++) {
        int threshold = total * k / (kills + 1);
        int64_t deadline = zclock_mono () + 60000;
        while (atomic_load (&run->acked_total) < threshold && zclock_mono () < deadline)
            zclock_sleep (5);
        killed += harness_stop (run->h, SIGKILL) == 128 + SIGKILL;
        //  The last outage is long (over three quiet periods of the
        //  receiver): Pings queue up in its DEALER and several reach the
        //  next run, the case its ledger must not confirm (s_ledger_pong).
        if (k == kills)
            zclock_sleep (2500);
        restarted += harness_start (run->h) == 0;
    }
    for (int i = 0; i < SENDERS; i++)
        pthread_join (senders [i], NULL);
    int64_t sent_ms = zclock_mono () - t0;
    //  Every acknowledged message must arrive: wait for the stragglers.
    int64_t deadline = zclock_mono () + (longrun? 120000: 30000);
    int missing = total;
    while (zclock_mono () < deadline) {
        missing = 0;
        for (int i = 0; i < total; i++)
            missing += atomic_load (&run->acked [i]) && atomic_load (&run->delivered [i]) == 0;
        if (missing == 0)
            break;
        zclock_sleep (100);
    }
    zclock_sleep (500);
    atomic_store (&run->stop_receiver, 1);
    pthread_join (receiver, NULL);
    int acked = atomic_load (&run->acked_total), twice = 0, confirmed = 0;
    for (int i = 0; i < total; i++) {
        twice += atomic_load (&run->delivered [i]) > 1;
        confirmed += atomic_load (&run->confirmed [i]);
    }
    printf ("# marathon: %d kills (%d restarts), %d senders, %d messages acknowledged of %d,"
            " %d resends, %d acks of earlier tries, %d deliveries (%d messages more than once,"
            " %d after a confirmed receipt), %d receipts confirmed, %lld ms\n", killed, restarted, SENDERS, acked, total,
            atomic_load (&run->retries), atomic_load (&run->duplicates_acked),
            atomic_load (&run->deliveries), twice, atomic_load (&run->after_confirm),
            confirmed, (long long) sent_ms);
    CHECK (killed == kills && restarted == kills, "the broker was killed with -9 and restarted each time");
    CHECK (acked == total, "every message was acknowledged in the end (retried with its id)");
    CHECK (missing == 0, "every acknowledged message was delivered");
    CHECK (atomic_load (&run->after_confirm) == 0, "nothing was delivered again after its receipt was confirmed");
    //  ...which says something only if most receipts were confirmed.
    CHECK (confirmed > total / 2, "most receipts were confirmed by a Pong of the run they went to");
    CHECK (harness_stop (run->h, SIGTERM) == 0, "clean stop after the marathon");
    char cmd [700];
    snprintf (cmd, sizeof cmd, "%s/samhandd --verify-audit -c %s 2>&1", harness_build (),
              run->h->config);
    int status = -1;
    char *out = harness_run (cmd, &status);
    CHECK (status == 0 && out && strstr (out, "intact"), "the audit chain verifies after every kill -9");
    if (status != 0)
        fprintf (stderr, "verify-audit: %s\n", out? out: "");
    free (out);
    harness_destroy (&run->h);
    free (run->acked);
    free (run->delivered);
    free (run->confirmed);
    free (run);
    return TEST_DONE ();
}
