/*  itest_author — Submit.author (the web client's user name) against the
    real broker: a valid author is accepted and recorded in the submitted
    audit record as author=NAME; a malformed one (space, separator, too
    long) is refused with INVALID_FIELD and nothing is stored; no author
    leaves the record as before; `samhand audit who-received` names each
    delivery's sender with that author, "vakt (anne.k-1)". The people are
    invented.                                                              */
#include "harness.h"
#include "testlib.h"
#include <signal.h>

static Samhand__V1__Frame *
s_submit (hclient_t *c, const char *author, const char *text)
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, text);
    subject.name = "Kari Oppdiktet";
    harness_new_id (&submit, id);
    if (author)
        submit.author = (char *) author;
    //  A malformed field is refused when the frame is read, with an Error
    //  frame rather than a SubmitResult: take whichever comes.
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    if (hclient_send (c, &frame))
        return NULL;
    return hclient_recv (c, 3000);
}

static char *
s_who (harness_t *h, const char *extra)
{
    char command [1500];
    snprintf (command, sizeof command, "%s/samhand --endpoint %s --broker-cert %s/server.cert"
              " --cert %s/nodes/admin.cert audit who-received --subject-id 01019012057 %s"
              " 2>/dev/null", harness_build (), h->endpoint, h->dir, h->dir, extra);
    int status = 0;
    return harness_run (command, &status);
}

static int
s_count (const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr (p, needle)); p++)
        n++;
    return n;
}

static int
s_code (const Samhand__V1__Frame *f)
{
    if (!f)
        return -1;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR)
        return f->error->code;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT)
        return f->submit_result->accepted? 0: f->submit_result->error?
               (int) f->submit_result->error->code: -2;
    return -3;
}

static char *
s_export (harness_t *h)
{
    char command [1500];
    snprintf (command, sizeof command, "%s/samhand --endpoint %s --broker-cert %s/server.cert"
              " --cert %s/nodes/admin.cert audit export 2>/dev/null",
              harness_build (), h->endpoint, h->dir, h->dir);
    int status = 0;
    return harness_run (command, &status);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_start (h) == 0, "samhandd starts");
    if (!h)
        return 1;
    hclient_t *vakt = hclient_new (h, "vakt");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame *sub = hclient_subscribe (police, 3000);
    frame_free (&sub);

    Samhand__V1__Frame *f = s_submit (vakt, "anne.k-1", "Invented: med forfatter");
    CHECK (s_code (f) == 0, "a submit with a valid author is accepted");
    frame_free (&f);
    f = s_submit (vakt, NULL, "Invented: uten forfatter");
    CHECK (s_code (f) == 0, "a submit without an author is accepted as before");
    frame_free (&f);

    static const char *bad [] = { "anne berg", "a;b=c", "anne\nlinje", "æøå",
                                  "abcdefghijklmnopqrstuvwxyz0123456", NULL };
    int refused = 0, named = 0;
    for (int i = 0; bad [i]; i++) {
        f = s_submit (vakt, bad [i], "Invented: ugyldig forfatter");
        if (s_code (f) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD)
            refused++;
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR && f->error->text
        &&  strstr (f->error->text, "Submit.author") && !strstr (f->error->text, bad [i]))
            named++;
        else
            printf ("author %d answered %d\n", i, s_code (f));
        frame_free (&f);
    }
    CHECK (refused == 5, "an author with a space, separator, newline, non-ASCII or 33 characters: INVALID_FIELD");
    CHECK (named == 5, "the refusal names the field Submit.author, never the value");

    char *out = s_export (h);
    CHECK (out && strstr (out, "; author=anne.k-1\""),
           "the submitted audit record carries author=NAME as the node's claim");
    CHECK (out && !strstr (out, "ugyldig") && !strstr (out, "author=anne berg")
           && !strstr (out, "author=a;b"), "a refused author is not recorded as an author");
    int authored = 0;
    for (const char *p = out; p && (p = strstr (p, "\"event\":\"submitted\"")); p++)
        authored++;
    CHECK (authored == 2, "exactly the two accepted submits are recorded");
    free (out);

    //  Who received: each delivery names the sender and the author its
    //  submit claimed; the submit without an author shows the node alone.
    CHECK (hclient_drain (police, 2000) == 2, "the police received the two accepted concerns");
    out = s_who (h, "");
    CHECK (out && s_count (out, "vakt (anne.k-1)") == 1 && s_count (out, "FROM") == 1
           && s_count (out, "vakt ") == 2,
           "who-received prints the sender with its author, \"vakt (anne.k-1)\", once; the other"
           " delivery the node alone");
    if (out && s_count (out, "vakt (anne.k-1)") != 1)
        printf ("%s", out);
    free (out);
    out = s_who (h, "--json");
    CHECK (out && s_count (out, "\"author\":\"anne.k-1\"") == 1 && s_count (out, "\"author\"") == 1,
           "who-received --json carries \"author\" on the authored delivery only");
    free (out);

    hclient_destroy (&police);
    hclient_destroy (&vakt);
    CHECK (harness_stop (h, SIGTERM) == 0, "clean stop");
    harness_destroy (&h);
    return TEST_DONE ();
}
