/*
** labels.c: the report's words in English, Russian and Kazakh, and number
** formatting per language (Russian and Kazakh write 20 000 and 9,1 %).
*/
#include "labels.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* One row per key, in labels_key order: English, Russian, Kazakh. */
static const char *const labels_text[LB_NKEYS][3] = {
  [LB_TITLE_ONE] = {"Family well-being: scoring report", "Благополучие семей: отчёт о расчёте",
                    "Отбасылардың әл-ауқаты: есептеу туралы есеп"},
  [LB_TITLE_TWO] = {"Family well-being: what changes", "Благополучие семей: что меняется",
                    "Отбасылардың әл-ауқаты: не өзгереді"},
  [LB_RUN] = {"run", "расчёт", "есептеу"},
  [LB_OF] = {"of", "от", "бастап"},
  [LB_CONTENTS] = {"Contents", "Содержание", "Мазмұны"},
  [LB_HEADLINE] = {"Headline figures", "Основные показатели", "Негізгі көрсеткіштер"},
  [LB_FAMILIES] = {"Families", "Семьи", "Отбасылар"},
  [LB_PEOPLE] = {"People", "Человек", "Адам"},
  [LB_EXCLUDED] = {"Not scored (missing data)", "Не оценены (нет данных)",
                   "Бағаланбаған (деректер жоқ)"},
  [LB_H] = {"Multidimensionally poor (H)", "Доля бедных (H)", "Кедейлер үлесі (H)"},
  [LB_A] = {"Intensity among the poor (A)", "Интенсивность бедности (A)",
            "Кедейлік қарқыны (A)"},
  [LB_M0] = {"Adjusted headcount (M0 = H × A)", "Индекс бедности (M0 = H × A)",
             "Кедейлік индексі (M0 = H × A)"},
  [LB_K] = {"Poverty cutoff k", "Порог бедности k", "Кедейлік шегі k"},
  [LB_H_NOTE] = {"share of families deprived in at least k of the weighted indicators",
                 "доля семей с лишениями не менее чем по k взвешенных показателей",
                 "салмақталған көрсеткіштердің кемінде k бөлігі бойынша тапшылығы бар отбасылар үлесі"},
  [LB_A_NOTE] = {"average share of indicators in which poor families are deprived",
                 "средняя доля лишений у бедных семей",
                 "кедей отбасылардағы тапшылықтардың орташа үлесі"},
  [LB_M0_NOTE] = {"the poverty index: the share of all possible deprivations that poor families have",
                  "индекс: доля всех возможных лишений, приходящаяся на бедные семьи",
                  "индекс: кедей отбасыларға келетін барлық ықтимал тапшылықтар үлесі"},
  [LB_MEAN_POINTS] = {"Mean score (points)", "Средний балл", "Орташа балл"},
  [LB_P10] = {"10th percentile", "10-й процентиль", "10-процентиль"},
  [LB_P50] = {"Median", "Медиана", "Медиана"},
  [LB_P90] = {"90th percentile", "90-й процентиль", "90-процентиль"},
  [LB_DE_SHARE] = {"In the two lowest categories", "В двух низших категориях",
                   "Ең төменгі екі санатта"},
  [LB_CATEGORIES] = {"Well-being categories", "Категории благополучия", "Әл-ауқат санаттары"},
  [LB_CATEGORY] = {"Category", "Категория", "Санат"},
  [LB_NAME] = {"Name", "Наименование", "Атауы"},
  [LB_SHARE] = {"Share", "Доля", "Үлесі"},
  [LB_COUNT] = {"Families", "Семей", "Отбасы"},
  [LB_CAT_CHART_DESC] = {"Share of scored families in each category",
                         "Доля оценённых семей в каждой категории",
                         "Әр санаттағы бағаланған отбасылар үлесі"},
  [LB_BY_GROUP] = {"By %s", "В разрезе: %s", "%s бойынша"},
  [LB_VALUE] = {"Value", "Значение", "Мәні"},
  [LB_POP_SHARE] = {"Share of population", "Доля населения", "Халық үлесі"},
  [LB_CONTRIB] = {"Contribution to M0", "Вклад в M0", "M0-ге үлесі"},
  [LB_SORTED_BY] = {"sorted by", "по убыванию:", "сұрыптау:"},
  [LB_GROUP_CATS] = {"Categories by %s", "Категории в разрезе: %s", "%s бойынша санаттар"},
  [LB_INDICATORS] = {"Indicators", "Показатели", "Көрсеткіштер"},
  [LB_INDICATOR] = {"Indicator", "Показатель", "Көрсеткіш"},
  [LB_DIMENSION] = {"Dimension", "Измерение", "Өлшем"},
  [LB_WEIGHT] = {"Weight", "Вес", "Салмағы"},
  [LB_UNCENSORED] = {"Deprived (all families)", "Лишение (все семьи)",
                     "Тапшылық (барлық отбасылар)"},
  [LB_CENSORED] = {"Poor and deprived", "Бедные с лишением", "Тапшылығы бар кедейлер"},
  [LB_CONTRIBUTION] = {"Contribution to M0", "Вклад в M0", "M0-ге үлесі"},
  [LB_MISSING] = {"Missing", "Нет данных", "Деректер жоқ"},
  [LB_IND_CHART_DESC] = {"Share of families deprived in each indicator: all families, and poor families",
                         "Доля семей с лишением по каждому показателю: все семьи и бедные семьи",
                         "Әр көрсеткіш бойынша тапшылығы бар отбасылар үлесі: барлығы және кедейлер"},
  [LB_CONTRIB_CHART_DESC] = {"Share of M0 that each indicator accounts for",
                             "Доля M0, приходящаяся на каждый показатель",
                             "Әр көрсеткіштің M0-дегі үлесі"},
  [LB_MEASURES] = {"Support measures", "Меры поддержки", "Қолдау шаралары"},
  [LB_MEASURE] = {"Measure", "Мера", "Шара"},
  [LB_ELIGIBLE_FAMILIES] = {"Eligible families", "Семей с правом", "Құқығы бар отбасылар"},
  [LB_ELIGIBLE_PEOPLE] = {"People in them", "Человек в них", "Ондағы адамдар"},
  [LB_RECORD] = {"The record", "Сведения о расчёте", "Есептеу туралы мәлімет"},
  [LB_METHODOLOGY] = {"Methodology", "Методика", "Әдістеме"},
  [LB_VERSION] = {"Version", "Версия", "Нұсқасы"},
  [LB_FILE] = {"File", "Файл", "Файл"},
  [LB_SHA256] = {"SHA-256", "SHA-256", "SHA-256"},
  [LB_SIGNATURE] = {"Signature", "Подпись", "Қолтаңба"},
  [LB_UNSIGNED] = {"unsigned", "не подписан", "қол қойылмаған"},
  [LB_SIGNED] = {"signed", "подписан", "қол қойылған"},
  [LB_SIGNED_UNCHECKED] = {"signed; the key was not checked when the run was recorded",
                           "подписан; ключ не проверялся при записи расчёта",
                           "қол қойылған; есептеу жазылғанда кілт тексерілмеген"},
  [LB_SIGNER] = {"Signer's key (SHA-256)", "Ключ подписавшего (SHA-256)",
                 "Қол қоюшының кілті (SHA-256)"},
  [LB_RUN_SIGNER] = {"Run signed with key (SHA-256)", "Расчёт подписан ключом (SHA-256)",
                     "Есептеу қол қойылған кілт (SHA-256)"},
  [LB_DATA_FP] = {"Data fingerprint", "Отпечаток данных", "Деректер ізі"},
  [LB_DATA_PATH] = {"Data file", "Файл данных", "Деректер файлы"},
  [LB_RESULTS_DIGEST] = {"Results digest", "Контрольная сумма результатов",
                         "Нәтижелердің бақылау сомасы"},
  [LB_ENGINE] = {"Engine", "Программа", "Бағдарлама"},
  [LB_DATE] = {"Date (UTC)", "Дата (UTC)", "Күні (UTC)"},
  [LB_RUN_ID] = {"Run", "Расчёт №", "Есептеу №"},
  [LB_SCORING] = {"Scoring", "Метод оценки", "Бағалау әдісі"},
  [LB_AF] = {"Alkire-Foster", "Алкире-Фостер", "Алкире-Фостер"},
  [LB_POINTS] = {"points", "баллы", "балдар"},
  [LB_INTERVAL_NOTE] = {"Lines on the bars show 95% confidence intervals.",
                        "Линии на столбцах — 95-процентные доверительные интервалы.",
                        "Бағандардағы сызықтар — 95 пайыздық сенім аралықтары."},
  [LB_NO_INTERVAL_NOTE] = {"Figures cover every registered family: they are counts, not sample estimates.",
                           "Показатели рассчитаны по всем семьям реестра: это подсчёт, а не выборочная оценка.",
                           "Көрсеткіштер тізілімдегі барлық отбасы бойынша есептелген: бұл іріктемелі бағалау емес."},
  [LB_BEFORE] = {"Before", "До", "Дейін"},
  [LB_AFTER] = {"After", "После", "Кейін"},
  [LB_CHANGE] = {"Change", "Изменение", "Өзгеріс"},
  [LB_TRANSITIONS] = {"Movements between categories", "Переходы между категориями",
                      "Санаттар арасындағы ауысулар"},
  [LB_TRANS_DESC] = {"Families by category before (rows) and after (columns); the diagonal is unchanged",
                     "Семьи по категории до (строки) и после (столбцы); по диагонали — без изменений",
                     "Отбасылар санаты: дейін (жолдар) және кейін (бағандар); диагональ — өзгеріссіз"},
  [LB_FROM_TO] = {"before \\ after", "до \\ после", "дейін \\ кейін"},
  [LB_BETTER] = {"Better category", "Улучшение", "Жақсарды"},
  [LB_WORSE] = {"Worse category", "Ухудшение", "Нашарлады"},
  [LB_SAME] = {"Unchanged", "Без изменений", "Өзгеріссіз"},
  [LB_NOT_SCORED] = {"not scored", "не оценены", "бағаланбаған"},
  [LB_WHO_MOVES] = {"Who moves", "Кто переходит", "Кім ауысады"},
  [LB_DE_BEFORE] = {"In %s before", "В %s до", "%s дейін"},
  [LB_DE_AFTER] = {"In %s after", "В %s после", "%s кейін"},
  [LB_GAINED] = {"Gained", "Получают", "Алады"},
  [LB_LOST] = {"Lost", "Теряют", "Жоғалтады"},
  [LB_NET] = {"Net", "Итого", "Барлығы"},
  [LB_MEAS_CHANGE] = {"Support measures gained and lost", "Меры поддержки: кто получает и кто теряет",
                      "Қолдау шаралары: кім алады, кім жоғалтады"},
  [LB_RULES_CHANGED] = {"What changed in the rules", "Что изменилось в правилах",
                        "Ережелерде не өзгерді"},
  [LB_RULES_SAME] = {"Both runs applied the same rules: the changes come from the data.",
                     "Оба расчёта выполнены по одним правилам: изменения вызваны данными.",
                     "Екі есептеу бір ережемен жүргізілді: өзгерістер деректерге байланысты."},
  [LB_WHAT] = {"What", "Что", "Не"},
  [LB_ADDED] = {"added", "добавлен", "қосылды"},
  [LB_REMOVED] = {"removed", "удалён", "алынып тасталды"},
  [LB_RULE] = {"rule", "правило", "ереже"},
  [LB_BAND] = {"category bound", "граница категории", "санат шегі"},
  [LB_PARAM] = {"parameter", "параметр", "параметр"},
  [LB_DIM_WEIGHT] = {"dimension weight", "вес измерения", "өлшем салмағы"},
  [LB_PP] = {"p.p.", "п.п.", "п.т."},
  [LB_MOVED] = {"Changed category", "Сменили категорию", "Санаты өзгерді"},
  [LB_ELIG_BEFORE] = {"Eligible before", "Право до", "Құқық дейін"},
  [LB_ELIG_AFTER] = {"Eligible after", "Право после", "Құқық кейін"},
  [LB_GROUP_MOVES_NOTE] = {"Families scored in both runs, by the group recorded with them: to a better or a worse category.",
                           "Семьи, оценённые в обоих расчётах, по записанной с ними группе: в лучшую или худшую категорию.",
                           "Екі есептеуде де бағаланған отбасылар, олармен жазылған топ бойынша: жақсы немесе нашар санатқа."},
  [LB_NO_GROUP_VALUES] = {"These runs were recorded before afscore kept each family's group values (results schema 3): score them again to see who moves by group.",
                          "Эти расчёты записаны до того, как afscore стал сохранять группы каждой семьи (схема результатов 3): выполните их заново, чтобы увидеть переходы по группам.",
                          "Бұл есептеулер afscore әр отбасының топтарын сақтамай тұрғанда жазылған (нәтижелер сызбасы 3): топтар бойынша ауысуларды көру үшін оларды қайта орындаңыз."},
  [LB_GROUPS_FROM_BEFORE] = {"The run after was recorded before group values were kept: families are placed by the groups recorded with the run before.",
                             "Расчёт «после» записан до сохранения групп: семьи распределены по группам, записанным с расчётом «до».",
                             "«Кейін» есептеуі топтар сақталмай тұрғанда жазылған: отбасылар «дейін» есептеуімен жазылған топтар бойынша бөлінген."},
  [LB_MEAS_UNCHANGED] = {"No family gained or lost:", "Ни одна семья не получила и не потеряла:",
                         "Бірде-бір отбасы алған да, жоғалтқан да жоқ:"},
  [LB_PAGE_NOTE] = {"Written by afscore from the recorded run; every figure can be traced through the record at the end.",
                    "Составлено afscore по записанному расчёту; каждый показатель прослеживается по сведениям в конце.",
                    "afscore жазылған есептеу бойынша құрастырды; әр көрсеткішті соңындағы мәліметтен тексеруге болады."},
  [LB_ONLY_BEFORE] = {"Families in the run before only", "Семьи только в расчёте «до»",
                      "Тек «дейін» есептеудегі отбасылар"},
  [LB_ONLY_AFTER] = {"Families in the run after only", "Семьи только в расчёте «после»",
                     "Тек «кейін» есептеудегі отбасылар"},
  [LB_SCORE] = {"Score", "Балл", "Балл"},
  [LB_TOTAL] = {"Total", "Всего", "Барлығы"},
  [LB_NONE] = {"none", "нет", "жоқ"},
};

int labels_parse(const char *name) {
  if (!name || strcmp(name, "en") == 0) return LABELS_EN;
  if (strcmp(name, "ru") == 0) return LABELS_RU;
  if (strcmp(name, "kk") == 0) return LABELS_KK;
  return -1;
}

const char *labels_code(labels_lang l) {
  static const char *const codes[] = {"en", "ru", "kk"};
  return codes[l];
}

const char *labels_get(labels_lang l, labels_key k) {
  assert(k >= 0 && k < LB_NKEYS && (int)l >= 0 && (int)l < 3);
  const char *s = labels_text[k][l];
  assert(s);
  return s;
}

/* The thousands separator: a comma, or a no-break space (U+00A0). */
static const char *labels_sep(labels_lang l, int plain) {
  return plain ? "" : l == LABELS_EN ? "," : "\xC2\xA0";
}

/* Insert separators into the digits of s (an optional '-' then digits). */
static void labels_group(const char *digits, const char *sep, char *out) {
  const char *d = digits;
  char *o = out;
  if (*d == '-') *o++ = *d++;
  size_t n = strlen(d), sl = strlen(sep);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0) {
      memcpy(o, sep, sl);
      o += sl;
    }
    *o++ = d[i];
  }
  *o = '\0';
}

void labels_count(labels_lang l, int plain, int64_t v, char *out) {
  char d[24];
  snprintf(d, sizeof d, "%lld", (long long)v);
  labels_group(d, labels_sep(l, plain), out);
}

void labels_num(labels_lang l, int plain, double v, int decimals, char *out) {
  if (!isfinite(v)) {
    snprintf(out, 48, plain ? "" : "\xE2\x80\x93");
    return;
  }
  assert(decimals >= 0 && decimals <= 12 && fabs(v) < 1e15);
  char d[48];
  snprintf(d, sizeof d, "%.*f", decimals, v);
  if (strcmp(d, "-0") == 0 || (d[0] == '-' && strspn(d + 1, "0.") == strlen(d + 1)))
    memmove(d, d + 1, strlen(d));              /* no "-0.0" */
  char *dot = strchr(d, '.');
  if (dot) *dot = '\0';
  labels_group(d, labels_sep(l, plain), out);
  if (dot) {
    strcat(out, plain || l == LABELS_EN ? "." : ",");
    strcat(out, dot + 1);
  }
}

void labels_pct(labels_lang l, int plain, double share, int decimals, char *out) {
  labels_num(l, plain, 100 * share, decimals, out);
  if (!plain && isfinite(share)) strcat(out, l == LABELS_EN ? "%" : "\xC2\xA0%");
}
