"""Language detection: the script decides where it can, langdetect (seeded) where it cannot.

- Hangul → ko; kana → ja; Han without kana → zh unless Japanese-only kanji forms outnumber
  simplified-only ones.
- Cyrillic: letters only Ukrainian has (і ї є ґ) against letters only Russian has (ы э ъ ё), then
  frequent short words; langdetect restricted to ru/uk decides what is left. Other Cyrillic
  languages (be, kk, mn, sr, mk, bg) are recognised by their own letters or by langdetect.
- Latin: frequent English function words decide en; langdetect the rest.
- Too little text → ``und``. Only a bounded prefix of the text is read.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from processing.characters import (
    BMP,
    WordScanner,
    bmp_code_points,
    code_points,
    table_of_characters,
    table_of_pattern,
)

UNDETERMINED = "und"
SCRIPT_SAMPLE_CHARS = 600  # enough letters to tell the script apart
LANGDETECT_MAX_CHARS = 300  # langdetect's cost grows with the text; this much decides a language

UK_ONLY = set("іїєґ")
RU_ONLY = set("ыэё")  # ъ is not here: Bulgarian writes it too
BE_ONLY = set("ў")
KK_MN_ONLY = set("әғқңөұүһ")
SOUTH_SLAVIC_ONLY = set("јљњћђџѓќѕ")

UK_WORDS = frozenset(
    "що як це та й від він вона але до для або вже його її їх ми ви було буде був є не з хто де який "
    "яка яке які вони мене цей ця ці щоб коли чи ні теж також дуже треба ще саме тому".split()
)
RU_WORDS = frozenset(
    "что как это и от он она но до для или уже его ее их мы вы было будет был не с в кто где какой "
    "какая какое какие они меня этот эта эти чтобы когда ли нет тоже также очень надо еще ещё".split()
)
# Words shared (не, до, для, від/от ...) carry no weight; these are the discriminating ones.
UK_MARKERS = UK_WORDS - RU_WORDS
RU_MARKERS = RU_WORDS - UK_WORDS

EN_WORDS = frozenset(
    "the of and to in is that for on with was as by at from it his her are be this have has had were "
    "which not but an they their will said would been its who more after about than do let us make you "
    "we he she my me your our what when there can if so no all one up out just".split()
)

# Frequent short words of the Latin-script languages news comes in: decide the clear cases fast.
LATIN_FUNCTION_WORDS = {
    "en": EN_WORDS,
    "fr": frozenset(
        "le la les de des du un une et est que qui dans pour pas sur au aux ce cette il elle ne se sont par avec "
        "plus ont été selon après leur à l d s ses son sa aussi mais".split()
    ),
    "de": frozenset(
        "der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch es an werden aus er hat "
        "dass sie nach bei wurde".split()
    ),
    "es": frozenset(
        "el la los las de del y en que un una es por con para se no su al lo como más pero sus le ha fue".split()
    ),
    "it": frozenset(
        "il di che la e un una per non sono del della in con si da al le gli ha anche come più dei nel".split()
    ),
    "pt": frozenset(
        "o a os as de do da e em um uma que não para com por se no na mais como dos das foi ao são".split()
    ),
}


def _languages_of_words() -> dict[str, tuple[str, ...]]:
    """Each function word → the languages that use it (one dictionary look-up per word)."""
    languages: dict[str, tuple[str, ...]] = {}
    for lang, words in LATIN_FUNCTION_WORDS.items():
        for word in words:
            languages[word] = (*languages.get(word, ()), lang)
    return languages


_LATIN_WORD_LANGUAGES = _languages_of_words()


def _in_big5(ch: str) -> bool:
    try:
        ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


# Han characters written only in Japanese (shinjitai) or only in simplified Chinese.
JA_ONLY_KANJI = set(
    "駅円込売県気戦鉄関発経対総証変広済労働図円払様読歳単拠沢縄渋浜帰辺営斉剤絵続亜悪圧囲医壱隠栄塩横黄温穏仮価画会拡覚学楽巻陥勧寛歓観巌顔帰戯犠旧拠挙峡狭暁区駆勲径茎恵掲渓継軽鶏芸撃県倹剣険圏検献権顕験厳効広恒鉱号国済砕斎剤雑参桟蚕惨賛残糸歯児辞湿実写釈寿収従渋獣縦粛処緒叙奨将渉焼祥称証乗剰壌嬢条浄状畳譲醸嘱触寝慎真尽図粋酔穂随枢数瀬声静斉摂窃専浅戦践銭潜繊禅曽双壮捜挿巣争総聡荘騒増蔵臓即属続堕対体帯滞台滝択沢担単胆団弾断遅痴昼虫鋳庁徴聴勅鎮塚逓鉄転点伝都当党盗稲闘徳独読届弐悩脳廃拝売麦発髪抜繁晩蛮卑秘碑浜賓頻敏瓶侮払仏併並塀餅辺変弁舗歩穂宝豊翻毎万満免黙訳薬与予余誉揺様謡来頼乱覧欄竜隆虜両猟緑涙塁励礼隷霊齢暦歴恋炉労郎楼録湾"
)
# Han characters Traditional Chinese writes too (Hong Kong and Taiwan text: 都, 台, 並, 即, 真, and
# 恒/温 as Hong Kong writes them) are not evidence of Japanese: only forms outside Big5 are kept.
JA_ONLY_KANJI = {ch for ch in JA_ONLY_KANJI if not _in_big5(ch)} - set("恒温")
ZH_ONLY_SIMPLIFIED = set(
    "们这说对发经东车长门问间时书买卖动过还进远运边达连选这样乐历华叶号吗吧呢谁让认识请诉谈谢议记设访证试语说课资务员园围图场坏块坚报壮声处备够头夹奋妇妈娱孙学宁宝实宠审宽对导层岁岛币师帅带帮庆库应庙废开异弃张弯强归当录彻径忆态怀总恒恶悬惊惯戏战户扑执扩扫扬护报担拟拥择挂挡挤挥损换据掳摄摆携断无旧时旷显晋晒晓暂术机杀杂权条来杨极构枪柜标栏树样档桥检楼欢毁毕气汇汉汤沟没沪泪泽洁浅浇测济浑涛涝润涨渊渐渔温湾湿满滚滞滤滥潜灭灯灵灾炉点炼烁烂烟热爱牵犹状狱独狮猎献玛环现珐琼电画畅畴疗疟疮盏盐监盖盘着矫矿码砖砚础确礼祷祸离种积称稳穷窃窍窑竞笔笼筑签简粮紧纠红纤约级纪纯纲纳纵纷纸纹纺线练组细织终绍经绑结绕绘给络绝统继绩绪续绳维绵综绿缓编缘缩缴罗罚罢羡翘耸聋职联聪肠肤肾肿胀胁胜胶脉脏脑脚脱舰艰艺节芜苍苏苹范茧荆荐荡荣荧药莱获莹营萧萨蓝虑虽虾蚀蚁蛊蛮补衬袄袭装里见观规视览觉触誉计订认讨让训议讯记讲讶许论设访证评识诈诉诊词译试诗诚话诞询详语误说请诸读课谁调谅谈谋谍谓谜谢谣谨谱贝负贡财责贤败货质贩贪贫购贯贵贷贸费贺贼资赋赌赏赐赔赖赚赛赞赠赢赵赶趋跃践踪躏车轨军轩转轮软轰轻载较辅辆辈辉输辖辞辩边辽达迁过迈运还这进远违连迟适选逊递逻遗邓邮邻郑酝酱释钉针钓钟钢钥钱铁铃铅银铸链销锁锅锋错锡锦键锻镇镜长门闪闭问闯闲间闷闹闻阀阁阅队阳阴阵阶际陆陈陕险随隐难雾韦韩页顶项顺须顾顿预领频题颜额风飞饥饭饮饰饱饿馆马驱驶驻驾验骂骄骑骗骚骤鱼鲁鲜鸟鸡鸣鸭鹅鹰麦黄齐齿龙"
)

_WORDS = WordScanner(r"[^\W\d_]")


def _letter_class(letters) -> re.Pattern[str]:
    """A regex finding any of ``letters`` (a scan in C, where ``set(text)`` builds a set)."""
    return re.compile("[" + "".join(re.escape(ch) for ch in sorted(letters)) + "]")


_BE_LETTER = _letter_class(BE_ONLY)
_KK_MN_OR_SOUTH_SLAVIC_LETTER = _letter_class(KK_MN_ONLY | SOUTH_SLAVIC_ONLY)
_LATIN_I_IN_CYRILLIC = re.compile(r"(?<=[а-яіїєґ])i|i(?=[а-яіїєґ])")
_CYRILLIC_LOWER = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюяіїєґ")  # the class in the regex above


def _cyrillic_i(lowered: str) -> str:
    """``_LATIN_I_IN_CYRILLIC.sub("і", lowered)``: a Latin i beside a Cyrillic letter becomes the
    Cyrillic one. Only the i's are looked at (the regex tries its look-behind at every position)."""
    chars = None
    last = len(lowered) - 1
    at = lowered.find("i")
    while at != -1:
        if (at > 0 and lowered[at - 1] in _CYRILLIC_LOWER) or (
            at < last and lowered[at + 1] in _CYRILLIC_LOWER
        ):
            if chars is None:
                chars = list(lowered)
            chars[at] = "і"
        at = lowered.find("i", at + 1)
    return lowered if chars is None else "".join(chars)


class ScriptCounts(NamedTuple):
    """Letters per script (a named tuple: made for every document, a frozen dataclass cost more)."""

    latin: int = 0
    cyrillic: int = 0
    hangul: int = 0
    kana: int = 0
    han: int = 0
    other: int = 0

    @property
    def cjk(self) -> int:
        return self.hangul + self.kana + self.han

    @property
    def weight(self) -> int:
        """How much text there is to judge by: a CJK character says about as much as three letters."""
        return self.latin + self.cyrillic + self.other + 3 * self.cjk


_SCRIPT_PATTERNS = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "cyrillic": re.compile(r"[\u0400-\u052f]"),
    "hangul": re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
    # kana without the middle dot and long-vowel mark, which Chinese text uses too
    "kana": re.compile(r"[\u3040-\u30fa\u30fd-\u30ff\u31f0-\u31ff\uff66-\uff9f]"),
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]"),
}
_ANY_LETTER = re.compile(r"[^\W\d_]")


_SCRIPT_NAMES = tuple(_SCRIPT_PATTERNS)


def _script_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per Basic Multilingual Plane code point: its script (0 none, else 1 + index in
    ``_SCRIPT_NAMES``) and whether it is a letter, built once from the same regexes."""
    scripts = np.zeros(BMP, dtype=np.uint8)
    for number, pattern in enumerate(_SCRIPT_PATTERNS.values(), 1):
        scripts[table_of_pattern(pattern)] = number
    return scripts, table_of_pattern(_ANY_LETTER)


_SCRIPT_OF, _IS_LETTER = _script_tables()
# both in one table, so one look-up and one bincount count them: 2 × script + 1 for a letter
_SCRIPT_AND_LETTER = (_SCRIPT_OF * 2 + _IS_LETTER).astype(np.uint8)
_SCRIPT_BINS = 2 * (len(_SCRIPT_NAMES) + 1)
# Japanese-only kanji count 1, simplified-only Chinese 2 (a character in both, 3)
_JA_ZH_ONLY = (table_of_characters(JA_ONLY_KANJI) + 2 * table_of_characters(ZH_ONLY_SIMPLIFIED)).astype(
    np.uint8
)


# ASCII bytes that are not letters: deleted, what is left are the letters, all Latin
_ASCII_NOT_LETTERS = bytes(c for c in range(128) if not _IS_LETTER[c])


def count_scripts(text: str) -> ScriptCounts:
    """Letters per script: one table look-up over the code points (this is on the hot path)."""
    if text.isascii():
        return ScriptCounts(latin=len(text.encode("ascii").translate(None, _ASCII_NOT_LETTERS)))
    points = bmp_code_points(text)
    if points is None:  # rare: no script range reaches beyond the BMP
        return _count_scripts_with_astral(code_points(text))
    counts = np.bincount(_SCRIPT_AND_LETTER[points], minlength=_SCRIPT_BINS).tolist()
    per_script = [counts[2 * number] + counts[2 * number + 1] for number in range(1, len(_SCRIPT_NAMES) + 1)]
    letters = sum(counts[1::2])
    return ScriptCounts(*per_script, other=max(letters - sum(per_script), 0))


def _count_scripts_with_astral(points: np.ndarray) -> ScriptCounts:
    astral = points[points >= BMP]
    points = points[points < BMP]
    counts = np.bincount(_SCRIPT_OF[points], minlength=len(_SCRIPT_NAMES) + 1).tolist()
    letters = int(np.count_nonzero(_IS_LETTER[points]))
    letters += len(_ANY_LETTER.findall("".join(map(chr, astral.tolist()))))  # they count as other
    other = max(letters - sum(counts[1:]), 0)
    return ScriptCounts(*counts[1:], other=other)


@lru_cache(maxsize=1)
def _factory(seed: int):
    # langdetect only for a text the script rules cannot decide (its import is ~45 ms); its profiles
    # read by numpy: the same numbers in the same language order as its own loader, ~0.2 s of CPU
    # less (processing.language_profiles)
    from langdetect import DetectorFactory

    from processing.language_profiles import load_factory

    factory = load_factory()
    DetectorFactory.seed = seed
    factory.set_seed(seed)
    return factory


def load_profiles(seed: int = 0) -> None:
    """Have langdetect read its language profiles now (about 60 MB, a second) rather than on the
    first text the script rules cannot decide."""
    _factory(seed)


def _langdetect(text: str, seed: int, candidates: tuple[str, ...] | None = None) -> str:
    factory = _factory(seed)
    from langdetect.lang_detect_exception import LangDetectException  # loaded by _factory

    try:
        detector = factory.create()
        if candidates:
            detector.set_prior_map({lang: 1.0 for lang in candidates})
        detector.set_max_text_length(LANGDETECT_MAX_CHARS)
        detector.append(text)
        lang = detector.detect()
    except LangDetectException:
        return UNDETERMINED
    if lang in ("zh-cn", "zh-tw"):
        return "zh"
    return lang if lang != "unknown" else UNDETERMINED


def words_of(text: str) -> list[str]:
    """The runs of letters in ``text`` (what ``re.findall(r"[^\\W\\d_]+", text)`` finds)."""
    return _WORDS.findall(text)


# the letters that tell Cyrillic languages apart, per BMP character: 1 Belarusian-only, 2 Kazakh,
# Mongolian or South Slavic-only, 3 Ukrainian-only, 4 Russian-only; counted in one look-up
_CYRILLIC_MARKS = (
    table_of_characters(BE_ONLY)
    + 2 * table_of_characters(KK_MN_ONLY | SOUTH_SLAVIC_ONLY)
    + 3 * table_of_characters(UK_ONLY)
    + 4 * table_of_characters(RU_ONLY)
).astype(np.uint8)


def _cyrillic_letters(lowered: str) -> tuple[int, int, int, int]:
    """How many Belarusian-only, Kazakh/Mongolian/South Slavic-only, Ukrainian-only and
    Russian-only letters ``lowered`` holds."""
    points = bmp_code_points(lowered)
    if points is None:  # beyond the BMP: none of these letters is there
        return (
            len(_BE_LETTER.findall(lowered)),
            len(_KK_MN_OR_SOUTH_SLAVIC_LETTER.findall(lowered)),
            sum(lowered.count(ch) for ch in UK_ONLY),
            sum(lowered.count(ch) for ch in RU_ONLY),
        )
    _, be, kk_mn_south_slavic, uk, ru = np.bincount(_CYRILLIC_MARKS[points], minlength=5).tolist()
    return be, kk_mn_south_slavic, uk, ru


def _cyrillic_language(text: str, seed: int) -> str:
    lowered = text.lower()
    if "i" in lowered:  # (before the letters are counted: it makes Ukrainian і, no other marker)
        lowered = _cyrillic_i(lowered)
    # one look-up of each character counts them all, where a regex search of a class of letters
    # and a str.count per letter each took a pass over the 2,000-character prefix
    be, kk_mn_south_slavic, uk_letters, ru_letters = _cyrillic_letters(lowered)
    if be:
        return "be"
    if kk_mn_south_slavic:
        return _langdetect(text, seed)
    if uk_letters and not ru_letters:
        return "uk"  # the letters decide (the words can only add to the same side)
    if ru_letters and not uk_letters:
        return "ru"
    uk_words = ru_words = 0
    for word in words_of(lowered):
        if word in UK_MARKERS:
            uk_words += 1
        elif word in RU_MARKERS:
            ru_words += 1
    uk_score = uk_letters + 2 * uk_words
    ru_score = ru_letters + 2 * ru_words
    if uk_score >= 2 and uk_score >= 3 * ru_score:
        return "uk"
    if ru_score >= 2 and ru_score >= 3 * uk_score:
        return "ru"
    if not uk_letters and uk_words == 0 and len(lowered) >= 20:
        return "ru"  # Ukrainian text of this length almost always has і, ї or є
    if "ъ" in lowered and not ru_letters:
        return _langdetect(text, seed, ("ru", "bg", "uk", "mk"))
    return _langdetect(text, seed, ("ru", "uk"))  # langdetect leans to uk on short text


def _han_language(text: str, counts: ScriptCounts) -> str:
    if counts.kana >= 2 or (counts.kana and counts.kana * 20 >= counts.han):
        return "ja"
    points = bmp_code_points(text)
    if points is None:
        points = code_points(text)
        points = points[points < BMP]
    only = np.bincount(_JA_ZH_ONLY[points], minlength=4).tolist()
    ja_only, zh_only = only[1] + only[3], only[2] + only[3]
    if ja_only > zh_only and ja_only >= 2:
        return "ja"
    return "zh"


def detect_language(text: str, prefix_chars: int = 2000, min_chars: int = 12, seed: int = 0) -> str:
    """ISO 639-1 code of ``text`` (``und`` when there is too little to tell). Deterministic."""
    if not text:
        return UNDETERMINED
    prefix = text[:prefix_chars]
    counts = count_scripts(prefix[:SCRIPT_SAMPLE_CHARS])
    cjk, weight = counts.cjk, counts.weight
    if weight < min_chars:
        return UNDETERMINED
    if counts.hangul and counts.hangul * 2 >= cjk and counts.hangul * 3 >= weight / 3:
        return "ko"
    if cjk * 3 >= weight / 2:
        return _han_language(prefix, counts)
    if counts.cyrillic >= counts.latin and counts.cyrillic >= counts.other:
        return _cyrillic_language(prefix, seed)
    if counts.latin >= counts.other:
        decided = _latin_by_function_words(prefix)
        if decided:
            return decided
    return _langdetect(prefix, seed)


# letters the function-word languages (en, fr, de, es, it, pt) never write
_FOREIGN_LATIN = frozenset("ěščřžůťďňľĺŕłąęśźżńćğışőűășțđươåæøþð")
_FOREIGN_LATIN_LETTER = _letter_class(_FOREIGN_LATIN)


def _latin_by_function_words(text: str) -> str | None:
    """en/fr/de/es/it/pt when frequent short words say so clearly (an eighth of the words, and twice
    the runner-up, or, where the two share many words (fr and es: de, la, en, que), three times
    the runner-up on the words only one of them has); None leaves the decision to langdetect."""
    lowered = text[:600].lower()
    if not lowered.isascii() and _FOREIGN_LATIN_LETTER.search(lowered):
        return None  # Czech, Polish, Turkish, Vietnamese...: their short words look Portuguese
    words = words_of(lowered)
    if len(words) < 6:
        return None
    # each function word there and how often, gathered and counted in C (filter, Counter), then
    # credited to its languages once per distinct word rather than once per occurrence
    found = Counter(filter(_LATIN_WORD_LANGUAGES.__contains__, words))
    counts = dict.fromkeys(LATIN_FUNCTION_WORDS, 0)
    for word, times in found.items():
        for lang in _LATIN_WORD_LANGUAGES[word]:
            counts[lang] += times
    (best, lang), (second, runner_up) = sorted(((n, lang) for lang, n in counts.items()), reverse=True)[:2]
    if best < 3 or best * 8 < len(words):
        return None
    if best >= 2 * second:
        return lang
    own = LATIN_FUNCTION_WORDS[lang] - LATIN_FUNCTION_WORDS[runner_up]
    theirs = LATIN_FUNCTION_WORDS[runner_up] - LATIN_FUNCTION_WORDS[lang]
    mine = sum(times for word, times in found.items() if word in own)
    other = sum(times for word, times in found.items() if word in theirs)
    return lang if mine >= 3 and mine >= 3 * other else None
