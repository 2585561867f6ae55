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

//  The recipient: receipts every delivery; a Ping after them confirms the
//  receipts (the Pong comes after the cycle that recorded them committed).
//  Subscribes again whenever things go quiet (the broker may be new).
static void *
s_receiver (void *arg)
{
    run_t *run = (run_t *) arg;
    hclient_t *c = hclient_new (run->h, "politi-risk");
    int total = SENDERS * run->per_sender;
    int *pending = (int *) calloc ((size_t) total, sizeof (int));     //  receipted, unconfirmed
    int n_pending = 0;
    int *ping_batch = (int *) calloc ((size_t) total, sizeof (int));
    int n_ping = 0;
    uint64_t ping_nonce = 0, waiting_nonce = 0;
    char instance [40] = "";            //  broker run of the last Pong
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
                pending [n_pending++ % total] = i;
            }
            hclient_receipt (c, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        }
        else
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_PONG
        &&  f->pong->nonce == waiting_nonce) {
            //  Only a Pong from the broker run that had the last Pong before
            //  the receipts confirms them: after a restart the DEALER may
            //  have lost them with the old connection (PROTOCOL.md §4).
            bool same_run = *instance && streq (instance, f->pong->instance);
            for (int k = 0; k < n_ping && same_run; k++)
                atomic_store (&run->confirmed [ping_batch [k]], 1);
            n_ping = 0;
            waiting_nonce = 0;
        }
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_PONG)
            snprintf (instance, sizeof instance, "%s", f->pong->instance);
        frame_free (&f);
        //  Confirm the receipts sent so far with one Ping behind them.
        if (!waiting_nonce && n_pending) {
            memcpy (ping_batch, pending, sizeof (int) * (size_t) (n_pending < total? n_pending: total));
            n_ping = n_pending < total? n_pending: total;
            n_pending = 0;
            Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
            Samhand__V1__Ping ping = SAMHAND__V1__PING__INIT;
            ping.nonce = waiting_nonce = ++ping_nonce;
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
            if (waiting_nonce) {
                for (int k = 0; k < n_ping && n_pending < total; k++)
                    pending [n_pending++] = ping_batch [k];
                n_ping = 0;
                waiting_nonce = 0;
            }
        }
    }
    free (pending);
    free (ping_batch);
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
    int acked = atomic_load (&run->acked_total), twice = 0;
    for (int i = 0; i < total; i++)
        twice += atomic_load (&run->delivered [i]) > 1;
    printf ("# marathon: %d kills (%d restarts), %d senders, %d messages acknowledged of %d,"
            " %d resends, %d acks of earlier tries, %d deliveries (%d messages more than once,"
            " %d after a confirmed receipt), %lld ms\n", killed, restarted, SENDERS, acked, total,
            atomic_load (&run->retries), atomic_load (&run->duplicates_acked),
            atomic_load (&run->deliveries), twice, atomic_load (&run->after_confirm),
            (long long) sent_ms);
    CHECK (killed == kills && restarted == kills, "the broker was killed with -9 and restarted each time");
    CHECK (acked == total, "every message was acknowledged in the end (retried with its id)");
    CHECK (missing == 0, "every acknowledged message was delivered");
    CHECK (atomic_load (&run->after_confirm) == 0, "nothing was delivered again after its receipt was confirmed");
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
