// The dashboard in German or English. Loaded first on every page. The pages are written
// in English; in German this script translates their text as it appears (a
// MutationObserver), from the table below: exact strings, and patterns for the
// sentences the scripts compose. What the tracked sites sent (touchpoint names,
// comments, codes) is never translated: it sits in elements marked `translate="no"` or
// in chips, which are skipped.
//
// The language: `?lang=de|en` (remembered), else the one chosen before, else the
// browser's. It is set as <html lang>, which the pages' number and date formats follow.
(function () {
  "use strict";

  var KEY = "spur:lang";
  var lang = "en";
  try {
    var asked = new URLSearchParams(location.search).get("lang");
    if (asked === "de" || asked === "en") localStorage.setItem(KEY, asked);
    lang = localStorage.getItem(KEY) || ((navigator.language || "").toLowerCase().indexOf("de") === 0 ? "de" : "en");
  } catch (e) {}
  document.documentElement.lang = lang;

  var DE = {
    // Navigation and frame
    "Overview": "Übersicht",
    "Journeys": "Journeys",
    "Funnels": "Trichter",
    "Stages": "Phasen",
    "Touchpoints": "Touchpoints",
    "Channels": "Kanäle",
    "Referrals": "Empfehlungen",
    "Experiments": "Experimente",
    "Goal (a touchpoint)": "Ziel (ein Touchpoint)",
    "Experiment": "Experiment",
    "Variant": "Variante",
    "Conversion rate": "Konversionsrate",
    "Satisfied (high ratings)": "Zufrieden (hohe Bewertungen)",
    "Difference to control": "Unterschied zur Kontrolle",
    "95 % interval": "95-%-Intervall",
    "Verdict": "Urteil",
    "Not enough data yet": "Noch zu wenig Daten",
    "Better": "Besser",
    "Worse": "Schlechter",
    "No difference yet": "Noch kein Unterschied",
    "Engaged time (median)": "Aktive Zeit (Median)",
    "Scroll depth (median)": "Scrolltiefe (Median)",
    "Friction per view": "Reibung je Aufruf",
    "Per experiment and variant: the visitors who saw it, how many reached the goal afterwards, how satisfied they were, and the difference from the control with an interval that stays valid however often you look.":
      "Je Experiment und Variante: die Besucher, die sie sahen, wie viele danach das Ziel erreichten, wie zufrieden sie waren, und der Unterschied zur Kontrolle mit einem Intervall, das gültig bleibt, wie oft Sie auch hinsehen.",
    "No experiment in this range. Mark a page or element with": "Kein Experiment in diesem Zeitraum. Markieren Sie eine Seite oder ein Element mit",
    "or call": "oder rufen Sie",
    "Feedback": "Feedback",
    "Sites": "Websites",
    "Demo shop": "Demo-Shop",
    "Sign out": "Abmelden",
    "Customer-journey analytics": "Customer-Journey-Analyse",
    "Reports": "Berichte",
    "Spur · dates are UTC · data from": "Spur · Daten in UTC · Quelle:",
    "Spur · times are UTC · data from": "Spur · Zeiten in UTC · Quelle:",
    "Spur · data from": "Spur · Quelle:",
    "and": "und",
    // Sign-in
    "Sign in to Spur": "Bei Spur anmelden",
    "Sign in": "Anmelden",
    "Password": "Passwort",
    "No account yet? Create one with": "Noch kein Konto? Legen Sie eines an mit",
    "; the demo (": "; die Demo (",
    ") prints one.": ") gibt eines aus.",
    "Sign in first:": "Bitte zuerst anmelden:",
    "open the dashboard": "zum Dashboard",
    "Wrong email or password.": "E-Mail oder Passwort falsch.",
    "Enter your email and password.": "Geben Sie E-Mail und Passwort ein.",
    "Enter your email.": "Geben Sie Ihre E-Mail ein.",
    "Enter your password.": "Geben Sie Ihr Passwort ein.",
    "Visitor": "Besucher",
    "Skip to content": "Zum Inhalt springen",
    "Too many attempts. Try again in a minute.": "Zu viele Versuche. Versuchen Sie es in einer Minute wieder.",
    "Could not reach the Spur collector. Check that it is running.": "Der Spur-Collector ist nicht erreichbar. Läuft er?",
    "Sign in to see reports.": "Melden Sie sich an, um Berichte zu sehen.",
    // Filters
    "Site": "Website",
    "From": "Von",
    "To": "Bis",
    "Top": "Top",
    "Device": "Gerät",
    "Channel": "Kanal",
    "Stage": "Phase",
    "Visitors who did": "Besucher, die … taten",
    "e.g. purchase": "z. B. purchase",
    "Explore from a touchpoint": "Von einem Touchpoint aus erkunden",
    "Choose a touchpoint": "Touchpoint wählen",
    "All": "Alle",
    "Desktop": "Desktop",
    "Mobile": "Mobil",
    "Tablet": "Tablet",
    "Paid": "Bezahlt",
    "Email": "E-Mail",
    "Social": "Social",
    "Review": "Bewertung",
    "Search": "Suche",
    "Referral": "Verweis",
    "Direct": "Direkt",
    "Awareness": "Aufmerksamkeit",
    "Consideration": "Abwägung",
    "Purchase": "Kauf",
    "Retention": "Bindung",
    "Advocacy": "Empfehlung",
    "Show": "Anzeigen",
    "Show paths": "Pfade anzeigen",
    "Show funnel": "Trichter anzeigen",
    "Show feedback": "Feedback anzeigen",
    "Quick range (UTC):": "Schnellauswahl (UTC):",
    "Quick date ranges": "Schnellauswahl",
    "Today": "Heute",
    "Last 7 days": "Letzte 7 Tage",
    "Last 30 days": "Letzte 30 Tage",
    "Last 90 days": "Letzte 90 Tage",
    "Within": "Innerhalb von",
    "30 minutes": "30 Minuten",
    "1 day": "1 Tag",
    "7 days": "7 Tagen",
    "30 days": "30 Tagen",
    "Attribution": "Attribution",
    "First touch": "Erster Kontakt",
    "Last touch": "Letzter Kontakt",
    "Linear": "Linear",
    "Position-based (40/20/40)": "Positionsbasiert (40/20/40)",
    // States
    "Export CSV": "CSV exportieren",
    "Loading…": "Lädt …",
    "Loading paths…": "Pfade werden geladen …",
    "Nothing to show for this range": "Für diesen Zeitraum gibt es nichts zu zeigen",
    "Could not load the report": "Der Bericht konnte nicht geladen werden",
    "Could not load the paths": "Die Pfade konnten nicht geladen werden",
    "Try again": "Erneut versuchen",
    "No visits match yet — open the demo shop at": "Noch keine passenden Besuche — öffnen Sie den Demo-Shop unter",
    "and click around, or widen the range and clear the filters.": "und klicken Sie sich durch, oder erweitern Sie den Zeitraum und leeren Sie die Filter.",
    "No sessions yet — open the demo shop at": "Noch keine Sitzungen — öffnen Sie den Demo-Shop unter",
    "and click around.": "und klicken Sie sich durch.",
    "Then come back and press “Show paths”. Widen the date range if you expected data here.":
      "Kommen Sie dann zurück und drücken Sie „Pfade anzeigen“. Erweitern Sie den Zeitraum, wenn Sie hier Daten erwartet haben.",
    // Overview
    "How the customer journey is doing: visitors, sessions, conversions, revenue and satisfaction over the range, each against the period just before it, and the five stages at a glance.":
      "Wie es der Customer Journey geht: Besucher, Sitzungen, Conversions, Umsatz und Zufriedenheit im Zeitraum, jeweils verglichen mit dem Zeitraum davor, und die fünf Phasen auf einen Blick.",
    "Key figures": "Kennzahlen",
    "Visitors": "Besucher",
    // Words of the charts' tooltips (www/charts asks through spurTr).
    "visitors": "Besucher",
    "step": "Schritt",
    "Score": "Wert",
    "after": "nach",
    // Kinds of touches (the visitor timeline, through spurDashboard.term).
    "Page view": "Seitenaufruf",
    "Click": "Klick",
    "Event": "Ereignis",
    "Friction": "Reibung",
    "other": "andere",
    "(exit)": "(Ausstieg)",
    // Words the experiments table writes next to the sites' names.
    "control": "Kontrolle",
    "pts": "Pkt.",
    "to": "bis",
    "(other)": "(andere)",
    "Where the visitors who dropped out after each step went next": "Wohin die nach jedem Schritt Abgesprungenen gingen",
    "Sessions": "Sitzungen",
    "Conversions": "Conversions",
    "Revenue": "Umsatz",
    "NPS": "NPS",
    "CSAT (share 4–5)": "CSAT (Anteil 4–5)",
    "The five stages": "Die fünf Phasen",
    "Visitors reaching each stage of the journey in this range;": "Besucher, die im Zeitraum jede Phase der Journey erreichen;",
    "more on the Stages page": "mehr auf der Seite Phasen",
    "no earlier figure to compare": "kein früherer Wert zum Vergleich",
    "no answers yet": "noch keine Antworten",
    "none in either period": "in keinem der Zeiträume",
    "new in this period": "neu in diesem Zeitraum",
    "Visitors per day": "Besucher pro Tag",
    "Sessions per day": "Sitzungen pro Tag",
    "Conversions per day": "Conversions pro Tag",
    "Revenue per day": "Umsatz pro Tag",
    "NPS per day": "NPS pro Tag",
    "CSAT per day": "CSAT pro Tag",
    "Visitors per stage": "Besucher pro Phase",
    // Journeys
    "Top journey paths": "Die häufigsten Journey-Pfade",
    "The most common sequences of touchpoints, one path per session, from first contact to the last click.":
      "Die häufigsten Abfolgen von Touchpoints, ein Pfad pro Sitzung, vom ersten Kontakt bis zum letzten Klick.",
    "Totals": "Summen",
    "Distinct paths": "Verschiedene Pfade",
    "Top path share": "Anteil des häufigsten Pfads",
    "Journey flow": "Journey-Fluss",
    "Where they went next": "Wohin sie danach gingen",
    "Where they came from": "Woher sie kamen",
    "Direction": "Richtung",
    "The first five steps of every session, the six most common touchpoints at each step. Click a touchpoint to see where visitors went next, or where they came from.":
      "Die ersten fünf Schritte jeder Sitzung, je Schritt die sechs häufigsten Touchpoints. Klicken Sie auf einen Touchpoint, um zu sehen, wohin Besucher danach gingen oder woher sie kamen.",
    "Sankey diagram: the first five steps of the sessions in this range": "Sankey-Diagramm: die ersten fünf Schritte der Sitzungen im Zeitraum",
    "Paths": "Pfade",
    "Path": "Pfad",
    "Share": "Anteil",
    "Total": "Gesamt",
    "Other": "Andere",
    "Top journey paths, ranked by sessions": "Die häufigsten Journey-Pfade, nach Sitzungen",
    // Funnels
    "Pick the touchpoints a customer should pass, in order: how many visitors reach each step within the window, and where those who dropped off went instead.":
      "Wählen Sie die Touchpoints, die ein Kunde der Reihe nach durchlaufen soll: wie viele Besucher jeden Schritt im Zeitfenster erreichen und wohin die Abgesprungenen stattdessen gingen.",
    "Steps (2–20), in order:": "Schritte (2–20), in Reihenfolge:",
    "Add a touchpoint (most visited first):": "Touchpoint hinzufügen (meistbesuchte zuerst):",
    "Touchpoints to add": "Touchpoints zum Hinzufügen",
    "No steps yet: click touchpoints below.": "Noch keine Schritte: Klicken Sie unten auf Touchpoints.",
    "No touchpoints in this range yet: open the demo shop and click around.": "Noch keine Touchpoints im Zeitraum: Öffnen Sie den Demo-Shop und klicken Sie sich durch.",
    "Funnel": "Trichter",
    "Step": "Schritt",
    "Of the first step": "Vom ersten Schritt",
    "Of the previous step": "Vom vorigen Schritt",
    "Dropped": "Abgesprungen",
    "Median time from previous": "Mediane Zeit seit dem vorigen",
    "Where the drop-offs went next": "Wohin die Abgesprungenen gingen",
    "Visitors reaching each step of the funnel": "Besucher, die jeden Trichterschritt erreichen",
    "Visitors per funnel step, conversion and drop-off": "Besucher pro Trichterschritt, Conversion und Absprung",
    // Report pages
    "The five-stage journey: how many visitors reach each stage, how many move on from the one before, how long they stay, and where journeys end.":
      "Die Journey in fünf Phasen: wie viele Besucher jede Phase erreichen, wie viele aus der vorigen weitergehen, wie lange sie bleiben und wo Journeys enden.",
    "From the previous stage": "Aus der vorigen Phase",
    "Median time in stage": "Mediane Zeit in der Phase",
    "Journeys ending here": "Journeys, die hier enden",
    "No visitor reached a stage yet. Stages come from": "Noch hat kein Besucher eine Phase erreicht. Phasen kommen aus",
    "on a page's": "am",
    "or on its touchpoints (awareness, consideration, purchase, retention, advocacy): the demo shop at":
      "einer Seite oder an ihren Touchpoints (awareness, consideration, purchase, retention, advocacy): der Demo-Shop unter",
    "has them. Or widen the range and clear the filters.": "hat sie. Oder erweitern Sie den Zeitraum und leeren Sie die Filter.",
    "The scorecard: every touchpoint with its visitors and sessions, how many converting visitors passed it before converting, where it sits in the path, how often sessions end there (friction), and what its rating widgets say. Click a column to sort.":
      "Die Scorecard: jeder Touchpoint mit Besuchern und Sitzungen, wie viele konvertierende Besucher ihn vor der Conversion passierten, wo er im Pfad liegt, wie oft Sitzungen dort enden (Reibung) und was seine Bewertungs-Widgets sagen. Klicken Sie auf eine Spalte, um zu sortieren.",
    "Exit rate (sessions ending here)": "Ausstiegsrate (Sitzungen, die hier enden)",
    "Touchpoint": "Touchpoint",
    "Converters who passed it": "Konvertierende, die ihn passierten",
    "Median position": "Mediane Position",
    "Ratings": "Bewertungen",
    "Channels & attribution": "Kanäle & Attribution",
    "Sessions, visitors, conversions and revenue per channel, and the conversions and revenue attributed over each visitor’s sessions up to the conversion.":
      "Sitzungen, Besucher, Conversions und Umsatz pro Kanal sowie die Conversions und der Umsatz, die über die Sitzungen jedes Besuchers bis zur Conversion zugeordnet werden.",
    "Conversions in session": "Conversions in der Sitzung",
    "Revenue in session": "Umsatz in der Sitzung",
    "Attributed conversions": "Zugeordnete Conversions",
    "Visitors (first session)": "Besucher (erste Sitzung)",
    "Attributed revenue": "Zugeordneter Umsatz",
    "Recommendations that brought customers: codes from shared links (?spur_ref=), who shared them, how many visitors arrived through each and how many of those converted. Click a sharer to see their journey.":
      "Empfehlungen, die Kunden brachten: Codes aus geteilten Links (?spur_ref=), wer sie teilte, wie viele Besucher über jeden kamen und wie viele davon konvertierten. Klicken Sie auf eine teilende Person, um ihre Journey zu sehen.",
    // The experiments report's method (the API's `method`, one sentence of the summary).
    "Difference of conversion rates (variant − control) with a 95 % always-valid interval (mixture sequential probability ratio test, normal mixture, τ = 0.1; Johari et al., KDD 2017): the result may be looked at any time and as often as wanted, and stopped as soon as the interval excludes 0, without more false positives than 5 %. No verdict below 100 visitors per variant.":
      "Unterschied der Konversionsraten (Variante − Kontrolle) mit einem jederzeit gültigen 95-%-Intervall (Mixture Sequential Probability Ratio Test, Normal-Mixture, τ = 0,1; Johari et al., KDD 2017): Das Ergebnis darf jederzeit und beliebig oft angesehen und beendet werden, sobald das Intervall die 0 ausschließt, ohne mehr als 5 % falsch positive Ergebnisse. Kein Urteil unter 100 Besuchern je Variante.",
    "Shared codes": "Geteilte Codes",
    "Code": "Code",
    "Shared by": "Geteilt von",
    "Arrivals": "Ankünfte",
    "Arrivals per shared code": "Ankünfte pro geteiltem Code",
    "No shared links were followed in this range. A customer shares with a": "In diesem Zeitraum wurde kein geteilter Link aufgerufen. Ein Kunde teilt mit einem",
    "event carrying": "-Ereignis mit",
    ", and the link they share carries": ", und der geteilte Link trägt",
    // Visitor
    "Visitor timeline": "Besucher-Zeitleiste",
    "One visitor's journey, session by session: where each session came from and every touchpoint in order. Visitor ids are pseudonymous (a keyed hash, or the id given after consent).":
      "Die Journey eines Besuchers, Sitzung für Sitzung: woher jede Sitzung kam und jeder Touchpoint in Reihenfolge. Besucher-IDs sind pseudonym (ein verschlüsselter Hash oder die nach Einwilligung vergebene ID).",
    "Visitor id": "Besucher-ID",
    "Enter a visitor id (the Referrals page links its sharers here).": "Geben Sie eine Besucher-ID ein (die Seite Empfehlungen verlinkt teilende Personen hierher).",
    "No sessions of this visitor in this range: widen the range or check the id.": "Keine Sitzungen dieses Besuchers im Zeitraum: Erweitern Sie den Zeitraum oder prüfen Sie die ID.",
    // Feedback
    "What customers answered to the rating widgets, what they wrote, and the paths that led to low and high ratings.":
      "Was Kunden in den Bewertungs-Widgets antworteten, was sie schrieben und welche Pfade zu niedrigen und hohen Bewertungen führten.",
    "Comments": "Kommentare",
    "All scores": "Alle Bewertungen",
    "Low (detractors, unhappy)": "Niedrig (Kritiker, unzufrieden)",
    "Middle": "Mittel",
    "High (promoters, happy)": "Hoch (Promotoren, zufrieden)",
    "Themes": "Themen",
    "Scores": "Bewertungen",
    "Effort (CES, 1–7)": "Aufwand (CES, 1–7)",
    "Thumbs up": "Daumen hoch",
    "By touchpoint": "Nach Touchpoint",
    "Widgets": "Widgets",
    "Widget": "Widget",
    "Shown": "Gezeigt",
    "Answered": "Beantwortet",
    "Dismissed": "Geschlossen",
    "Response rate": "Antwortquote",
    "Recurring words": "Wiederkehrende Wörter",
    "What preceded the ratings": "Was den Bewertungen vorausging",
    "Before low ratings": "Vor niedrigen Bewertungen",
    "Before high ratings": "Vor hohen Bewertungen",
    "More often before low ratings": "Häufiger vor niedrigen Bewertungen",
    "No comments in this range.": "Keine Kommentare in diesem Zeitraum.",
    "no answers": "keine Antworten",
    "Scores in detail": "Bewertungen im Detail",
    "NPS answers, 0–10": "NPS-Antworten, 0–10",
    "CSAT answers, 1–5": "CSAT-Antworten, 1–5",
    "NPS gauge": "NPS-Anzeige",
    "NPS answers per score": "NPS-Antworten pro Wert",
    "CSAT answers per score": "CSAT-Antworten pro Wert",
    "CES answers, 1–7": "CES-Antworten, 1–7",
    "CES answers per score": "CES-Antworten pro Wert",
    "Thumbs": "Daumen",
    "Thumbs down and up": "Daumen runter und hoch",
    // Sites
    "The websites that send touchpoints to Spur: add one, copy its snippet into the page, and say which origins may send its events.":
      "Die Websites, die Touchpoints an Spur senden: Fügen Sie eine hinzu, kopieren Sie ihr Snippet in die Seite und legen Sie fest, welche Origins ihre Ereignisse senden dürfen.",
    "To leave your own browser out of the figures, open a page of the site once with ?spur_ignore=1 at the end of its address; ?spur_ignore=0 counts it again.":
      "Um Ihren eigenen Browser aus den Zahlen herauszuhalten, öffnen Sie eine Seite der Website einmal mit ?spur_ignore=1 am Ende der Adresse; ?spur_ignore=0 zählt ihn wieder.",
    "Your sites": "Ihre Websites",
    "Name": "Name",
    "Allowed origins": "Erlaubte Origins",
    "Embed snippet": "Einbettungs-Snippet",
    "Add a site, or change one": "Website hinzufügen oder ändern",
    "Site id": "Website-ID",
    "Allowed origins, one a line (empty: any)": "Erlaubte Origins, eine pro Zeile (leer: alle)",
    "Save site": "Website speichern",
    "any origin": "jede Origin",
    "Receiving events": "Empfängt Ereignisse",
    "No events yet: put the snippet on the site's pages": "Noch keine Ereignisse: Fügen Sie das Snippet in die Seiten der Website ein",
    "Copy": "Kopieren",
    "Copied": "Kopiert",
    "My shop": "Mein Shop",
    "Could not reach the Spur collector.": "Der Spur-Collector ist nicht erreichbar."
  };

  // Sentences the scripts compose: [pattern, German], `$1`… for the captured parts.
  var PATTERNS = [
    [/^(.+) visitors entered the funnel; (.+) reached the last step\.$/, "$1 Besucher traten in den Trichter ein; $2 erreichten den letzten Schritt."],
    [/^(.+) visitors reached at least one stage\.$/, "$1 Besucher erreichten mindestens eine Phase."],
    [/^(\d+) touchpoints\.$/, "$1 Touchpoints."],
    [/^Attribution model: (.+)\.$/, function (m, model) { return "Attributionsmodell: " + tr(model) + "."; }],
    // (One pattern for the journeys' summary with or without its top paths and "Other":
    // the date before them is matched lazily.)
    [/^(.+) sessions? on (.+) from (.+) to (.+?)(?: · top (\d+) paths?(?:, (.+) more in “Other”)?)?\.$/,
      function (m, n, site, from, to, top, more) {
        var out = n + (n === "1" ? " Sitzung" : " Sitzungen") + " auf " + site + " vom " + from + " bis " + to;
        if (top) out += " · " + (top === "1" ? "der häufigste Pfad" : "die " + top + " häufigsten Pfade");
        if (more) out += ", " + more + " weitere unter „Andere“";
        return out + ".";
      }],
    [/^Path of (\d+) steps?$/, function (m, n) { return "Pfad mit " + n + (n === "1" ? " Schritt" : " Schritten"); }],
    [/^(.+): the main measure per row$/, function (m, title) { return tr(title) + ": die Hauptkennzahl je Zeile"; }],
    [/^([\d.,]+) visitors?$/, "$1 Besucher"],
    [/^Site (.+) · (.+) – (.+)$/, "Website $1 · $2 – $3"],
    [/^After “(.+)” \((.+) sessions\)$/, "Nach „$1“ ($2 Sitzungen)"],
    [/^After “(.+)”$/, "Nach „$1“"],
    [/^Before “(.+)” \((.+) sessions\)$/, "Vor „$1“ ($2 Sitzungen)"],
    [/^Before “(.+)”$/, "Vor „$1“"],
    [/^started (.+)$/, "begonnen $1"],
    [/^Step (\d+):$/, "Schritt $1:"],
    [/^Session (\d+)$/, "Sitzung $1"],
    [/^(\d+) sessions?, (\d+) touch(es)?\.$/, function (m, s, t) {
      return s + (s === "1" ? " Sitzung, " : " Sitzungen, ") + t + (t === "1" ? " Kontakt." : " Kontakte.");
    }],
    [/^([+-].+) vs\. the period before$/, "$1 gegenüber dem Zeitraum davor"],
    [/^(.+) \((.+) of sessions\)$/, "$1 ($2 der Sitzungen)"],
    [/^(\d+) shared codes? · longest chain (\d+) referrals? deep · (.+) new visitors? per referrer$/,
      function (m, codes, depth, spread) {
        return codes + (codes === "1" ? " geteilter Code" : " geteilte Codes") + " · längste Kette " + depth +
          (depth === "1" ? " Empfehlung" : " Empfehlungen") + " tief · " + spread + " neue Besucher pro Empfehlendem";
      }],
    [/^(.+) less frequent paths?$/, function (m, n) { return n + (n === "1" ? " seltenerer Pfad" : " seltenere Pfade"); }],
    [/^(\d+) up · (\d+) down$/, "$1 hoch · $2 runter"],
    [/^(.+?): Not enough data yet: (.+) has (\d+) and (.+) (\d+) visitors; each needs at least (\d+) before a verdict\.$/,
      "$1: Noch zu wenig Daten: $2 hat $3 und $4 $5 Besucher; jede braucht mindestens $6 für ein Urteil."],
    [/^(.+?): (.+) converts better than (.+): (.+) points \(95 % always-valid interval (.+) to (.+)\)\.$/,
      "$1: $2 konvertiert besser als $3: $4 Punkte (jederzeit gültiges 95-%-Intervall $5 bis $6)."],
    [/^(.+?): (.+) converts worse than (.+): (.+) points \(95 % always-valid interval (.+) to (.+)\)\.$/,
      "$1: $2 konvertiert schlechter als $3: $4 Punkte (jederzeit gültiges 95-%-Intervall $5 bis $6)."],
    [/^(.+?): No difference shown yet: (.+) points, and the interval \((.+) to (.+)\) still includes 0\. Keep it running; looking again later is safe\.$/,
      "$1: Noch kein Unterschied: $2 Punkte, und das Intervall ($3 bis $4) schließt die 0 noch ein. Laufen lassen; später wieder hinsehen ist unbedenklich."],
    [/^(.+?): No difference shown yet: (.+) points, and neither variant varies \(all or none converted\)\.$/,
      "$1: Noch kein Unterschied: $2 Punkte, und keine Variante streut (alle oder keiner konvertierten)."],
    [/^Remove step (\d+), (.+)$/, "Schritt $1 entfernen, $2"],
    [/^Could not build the funnel: (.+)$/, function (m, e) { return "Der Trichter konnte nicht erstellt werden: " + tr(e); }],
    [/^Could not load the journey flow: (.+)$/, function (m, e) { return "Der Journey-Fluss konnte nicht geladen werden: " + tr(e); }],
    [/^The collector answered (\d+)\.$/, "Der Collector antwortete mit $1."],
    [/^(\d+) promoters? · (\d+) passives? · (\d+) detractors?$/, function (m, p, q, d) {
      return p + (p === "1" ? " Promotor" : " Promotoren") + " · " + q + (q === "1" ? " Passiver" : " Passive") + " · " +
        d + " Kritiker";
    }],
    [/^1 answer · mean (.+)$/, "1 Antwort · Mittel $1"],
    [/^1 answer$/, "1 Antwort"],
    [/^(\d+) answers · mean (.+)$/, "$1 Antworten · Mittel $2"],
    [/^(\d+) answers$/, "$1 Antworten"],
    [/^(.+): (.+) of low vs (.+) of high$/, "$1: $2 der niedrigen vs. $3 der hohen"],
    [/^The feedback report failed: (.+)$/, function (m, e) { return "Der Feedback-Bericht schlug fehl: " + tr(e); }],
    // The API's messages for a report query the dashboard lets through (parameter names
    // stay as the API spells them).
    [/^site `(.+)` does not exist$/, "Die Website `$1` gibt es nicht"],
    [/^`site` is required$/, "`site` fehlt"],
    [/^`(\w+)` does not apply to the (\w+) report; it takes (.+)$/, "`$1` gilt nicht für den Bericht $2; er nimmt $3"],
    [/^`from` must not be after `to`$/, "`from` darf nicht nach `to` liegen"],
    [/^the range may span at most (\d+) days$/, "Der Zeitraum darf höchstens $1 Tage umfassen"],
    [/^the range must end by (.+), not (.+)$/, "Der Zeitraum muss spätestens am $1 enden, nicht am $2"],
    [/^`(\w+)` must be a date like (.+), not `(.*)`$/, "`$1` muss ein Datum wie $2 sein, nicht `$3`"],
    [/^`(\w+)` must be a whole number from (\d+) to (\d+)$/, "`$1` muss eine ganze Zahl von $2 bis $3 sein"],
    [/^`(\w+)` must be 1 to 100 characters$/, "`$1` muss 1 bis 100 Zeichen lang sein"],
    [/^`steps` is required: touchpoints separated by commas, e\.g\. (.+)$/, "`steps` fehlt: Touchpoints, durch Kommas getrennt, z. B. $1"],
    [/^other (.+)$/, "andere $1"],
    [/^ended (.+)$/, "beendet $1"],
    [/^(.+) — Spur$/, function (m, page) { return tr(page) + " — Spur"; }]
  ];

  function tr(text) {
    if (lang !== "de") return text;
    var trimmed = text.trim();
    if (!trimmed) return text;
    var out = DE[trimmed];
    if (out === undefined) {
      for (var i = 0; i < PATTERNS.length; i++) {
        if (PATTERNS[i][0].test(trimmed)) {
          out = trimmed.replace(PATTERNS[i][0], PATTERNS[i][1]);
          break;
        }
      }
    }
    if (out === undefined || out === trimmed) return text;
    // Keep the whitespace around the text (it separates it from links and code).
    return text.slice(0, text.indexOf(trimmed)) + out + text.slice(text.indexOf(trimmed) + trimmed.length);
  }

  // Data from the tracked sites, code and marked elements stay as they are.
  function skipped(el) {
    for (; el && el.nodeType === 1; el = el.parentNode) {
      if (el.getAttribute("translate") === "no" || /^(CODE|SCRIPT|STYLE|TEXTAREA)$/.test(el.tagName)) return true;
      if (el.classList.contains("chip") || el.classList.contains("snippet") || el.classList.contains("fb-comment-text")) return true;
    }
    return false;
  }

  var ATTRIBUTES = ["placeholder", "aria-label", "title"];

  function translate(node) {
    if (node.nodeType === 3) {
      if (!skipped(node.parentNode)) {
        var text = tr(node.nodeValue);
        if (text !== node.nodeValue) node.nodeValue = text;
      }
      return;
    }
    if (node.nodeType !== 1 || skipped(node)) return;
    ATTRIBUTES.forEach(function (name) {
      var value = node.getAttribute(name);
      if (value) {
        var text = tr(value);
        if (text !== value) node.setAttribute(name, text);
      }
    });
    for (var child = node.firstChild; child; child = child.nextSibling) translate(child);
  }

  function switcher() {
    var nav = document.querySelector(".topnav");
    if (!nav) return;
    var other = lang === "de" ? "en" : "de";
    var link = document.createElement("a");
    link.href = "?" + new URLSearchParams(Object.assign(Object.fromEntries(new URLSearchParams(location.search)), { lang: other }));
    link.className = "lang-switch";
    link.lang = other;
    link.setAttribute("translate", "no");
    link.textContent = other === "de" ? "Deutsch" : "English";
    nav.appendChild(link);
  }

  function start() {
    switcher();
    if (lang !== "de") return;
    document.title = tr(document.title);
    translate(document.body);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        if (change.type === "characterData") translate(change.target);
        else if (change.type === "attributes") {
          // A label set after the page loaded (a chart's, a path's): translated once,
          // the German one is left as it is.
          var value = change.target.getAttribute(change.attributeName);
          var text = value && !skipped(change.target) ? tr(value) : value;
          if (text !== value) change.target.setAttribute(change.attributeName, text);
        } else change.addedNodes.forEach(translate);
      });
    }).observe(document.body, {
      childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES
    });
  }

  window.spurLang = lang;
  // For text the observer does not reach: the charts draw on a canvas, and tables of
  // the sites' names are not translated as a whole.
  window.spurTr = tr;

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
