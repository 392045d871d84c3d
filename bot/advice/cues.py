"""Polarity of what a clause says about prompting and about data quality.

Sentence embeddings barely separate "we tried prompting and it fails" from "we
haven't tried prompting": both sit close to each other. What differs is grammar,
so this module reads it: find the concept (prompting / the examples), then look
for a negated attempt ("haven't tried", "never iterated") versus a reported
limit ("still fails", "tops out at 78%", "isn't enough"). Concept words are
matched with a small edit-distance tolerance so common typos still count.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9']+(?:-[a-z0-9']+)*")

# Concepts, as word stems; typos within one edit of a stem also match.
_PROMPT_STEMS = ("prompt", "prompting", "prompts", "prompted", "few-shot", "fewshot",
                 "zero-shot", "instruction", "instructions")
# ("it doesn't follow our instructions" names the concept but is a complaint, not an
# attempt: prompting_polarity leaves such clauses to ignores_instructions.)
_PROMPT_PHRASES = re.compile(
    r"few[\s-]?shot|system\s+(?:prompt|message)|in[\s-]context|prompt\s+engineering|"
    r"chain[\s-]of[\s-]thought|schema\s+(?:hints?|descriptions?)|structured[\s-]outputs?|json\s+mode|"
    # techniques that are prompting whatever they are called
    r"(?:tell|telling|told|ask|asking|asked)\s+it\s+to\b|(?:giving|gave|give|fed|feeding)\s+it\s+"
    r"(?:a\s+list|lists|examples|samples|a\s+persona|a\s+style)|(?:style|voice|tone)\s+guide|"
    r"\bpersona\b|banned\s+(?:words|phrases)|(?:words|phrases)\s+to\s+avoid|"
    # ... and in everyday words: "how we ask it", "the wording of our request"
    r"\b(?:the|our)\s+wording\b|\breword\w*|"
    r"\b(?:how|what|way)\s+we\s+ask\b|\bways?\s+(?:of|to)\s+(?:asking|ask|explain|instruct|tell)\w*|"
    r"\b(?:we|i)(?:'ve|\s+have)?\s+(?:only\s+|just\s+|tried\s+|barely\s+)?(?:asking|ask|asked)\s+it\b|"
    r"\b(?:tried|try|trying)\s+asking\s+it\b|\bpast(?:e|ed|ing)\b[^.!?]{0,60}\binto\s+(?:the\s+|a\s+)?"
    r"(?:chat|chatgpt|window|box)|\bhowever\s+we\s+(?:ask|word|phrase)\b|\binstructing\b|"
    r"\b(?:way|ways)\s+(?:\w+\s+){0,5}?to\s+(?:explain|ask|word|phrase)\b|"
    r"\bexplain\w*\s+(?:it|to\s+it|carefully)\b|\b(?:our|the)\s+request\b"
)

_NEGATED_ATTEMPT = re.compile(
    r"\b(?:haven'?t|have\s+not|hasn'?t|has\s+not|didn'?t|did\s+not|never|not\s+yet|"
    r"no\s+one\s+has|nobody\s+has|hardly|barely|not\s+really|not\s+much|not\s+properly)\b"
    r"(?:\s+\w+){0,4}?\s+(?:tr(?:y|ied)|work(?:ed)?\s+(?:on|at|with|through)|"
    r"touch(?:ed)?|done\b(?!\s+(?:it|the\s+trick))|do\b(?!\s+(?:it|the\s+trick))|iterat\w*|"
    r"experiment\w*|test(?:ed)?|look(?:ed)?|spent|invest\w*|play(?:ed)?|tun\w*|"
    r"optimi[sz]\w*|engineer\w*|explor\w*|bother\w*|put|got\s+(?:round|around)|started|wr[io]tten|"
    r"wrote)"
    r"|\b(?:haven'?t|have\s+not|didn'?t|did\s+not|never|nobody|no\s+one)\b[^.!?]{0,50}\byet\b"
    r"|\bnot\s+(?:tried|touched|iterated|tested|explored|optimi[sz]ed)\b"
    r"|\b(?:no|zero|minimal|little)\s+(?:real\s+)?(?:prompt\w*\s+)?(?:work|effort|engineering|"
    r"iteration|tuning|experiments?|attempts?|tests?)\b"
    r"|\b(?:first|rough|initial|quick|basic|default|naive|one[\s-]line|single[\s-]line|"
    r"simple|stock|generic)\s+(?:draft\s+)?(?:prompts?|system\s+prompt|instructions?)\b"
    r"|\b(?:tried|wrote|ran|used|did|made|gave\s+it)\s+(?:like\s+|about\s+|only\s+|just\s+)?(?:one|two|"
    r"three|a\s+couple(?:\s+of)?|a\s+few|[1-3])(?:\s+or\s+(?:two|three|four|[2-4]))?\s+(?:[\w-]+\s+)?"
    r"(?:prompts?|promts?|prompt\s+attempts?)\b"
    r"|\b(?:just|only)\s+(?:started|begun|getting\s+started|a\s+(?:basic|simple|short))"
    r"|\b(?:one|single|a|1)[\s-](?:sentence|line)\s+(?:[\w-]+\s+){0,2}?(?:prompt|instruction|system\s+prompt)"
    r"|\b(?:one|a|a\s+single)\s+(?:short\s+|quick\s+|simple\s+|basic\s+)?instruction\b"
    r"|\bpast(?:e|ed)\b[^.!?]{0,60}\bonce\b"
    r"|\ba\s+one[\s-]liner\b|\bis\s+(?:just\s+|only\s+)?one\s+sentence\b"
    r"|\b(?:nobody|no\s+one)(?:'s|\s+has)\s+had\s+(?:the\s+)?time\b"
    r"|\bprompt\w*\s+(?:is|was)\s+(?:just\s+|only\s+)?(?:a|one)\s+(?:single\s+)?(?:sentence|line|liner)\b"
    r"|\bonly\s+(?:tried|used|wrote|added|did|ran|tested)\b[^.!?]{0,60}\b(?:once|one\s+time)\b"
    r"|\b(?:just|only)\s+(?:\w+\s+){0,3}?(?:have|has|using|use)\b[^.!?]{0,60}\bas\s+(?:the|our)\s+"
    r"(?:system\s+)?prompt\b"
    r"|\bonly\s+(?:tried|used|wrote|have|had)\s+(?:one|a\s+single|a\s+couple|a\s+basic|"
    r"the\s+default)\b|\bso\s+far\s+only\b"
    r"|\bjust\s+getting\s+started\b|\bnext\s+step\s+(?:is|would\s+be)\b"
    r"|\bstraight\s+out\s+of\s+the\s+box\b|\bout[\s-]of[\s-]the[\s-]box\b"
    r"|\bhave(?:n'?t| not)\s+(?:really\s+)?(?:got|gotten)\s+to\b"
    r"|\b(?:nobody|no\s+one)\s+(?:\w+\s+){0,6}?(?:touched|tried|worked\s+on|looked\s+at)\b"
    r"|\bbefore\s+(?:[\w']+\s+){0,3}?(?:tried|touched|wrote|written|drafted|built|made|tested|started|tuned)\b"
    r"|\b(?:prior\s+to|before)\s+any\b|\bskipp?(?:ed|ing)?\b"
    r"|\bnever\s+(?:\w+\s+){0,4}?(?:a\s+)?(?:proper|real|serious|good)\s+(?:prompt|try|attempt|go)\b"
    r"|\b(?:nobody|no\s+one)\s+(?:\w+\s+){0,3}?(?:has|have|had)\s+(?:\w+\s+)?(?:written|wrote|done|"
    r"used|built|drafted)\b"
    r"|\bonce\b[^.!?]{0,80}\b(?:that'?s|thats)\s+(?:about\s+)?(?:it|all)\b"
    r"|\b(?:ran|run|tried|tested|asked|prompted)\s+(?:it\s+|the\s+\w+\s+)?once\b|"
    r"\bonly\s+thing\s+(?:we'?ve|we\s+have|i'?ve|i\s+have)\s+(?:tried|done)\b|"
    r"\bsame\s+(?:couple\s+of\s+|few\s+|one\s+or\s+two\s+)?lines?(?:\s+\w+){0,3}?\s+since\b|\bfirst\s+thing\s+i\s+did\b|"
    r"\b(?:not|haven'?t|didn'?t|did\s+not)\s+(?:\w+\s+)?(?:tried|try)\s+(?:\w+\s+)?(?:improving|different|"
    r"yet|other)\b|\ball\s+we'?ve\s+done\b|\b(?:one|single|first)\s+attempt\b"
    r"|\b(?:wrote|tried|used|tested)\s+(?:only\s+|just\s+)?a\s+single\s+prompt\b|\bstopped\s+there\b"
    r"|\b(?:still|just)\s+(?:the\s+)?(?:default|stock|original|out-of-the-box|vendor'?s?)\b"
    r"|\bprompt\s+is\s+(?:literally|just|only|basically)\b"
    r"|\b(?:haven'?t|have\s+not|never|didn'?t)\s+(?:\w+\s+)?revisit\w*"
    r"|\bprompt\w*\s+(?:\w+\s+){0,2}?(?:is|was|has\s+been)\s+(?:\w+\s+)?(?:thin|minimal|light|"
    r"basic|rudimentary|an\s+afterthought)\b"
    r"|\b(?:not|never)\s+(?:yet\s+)?(?:been\s+)?(?:try|tried|test|tested|touch|undertaken|attempted|"
    r"begun|explored|experimented|done)\b"
    # a few minutes or an hour or two on the prompt is not an attempt
    r"|\b(?:[1-9]|[1-5]\d|a\s+few|a\s+couple(?:\s+of)?|ten|fifteen|twenty|thirty)\s+"
    r"min(?:ute)?s?\b|\b(?:an?|one|two|[1-3]|half\s+an?|a\s+couple(?:\s+of)?)\s+hours?\b"
)
_REPORTED_LIMIT = re.compile(
    r"\b(?:tried|trying|spent|iterated|iterating|rewrote|rewritten|tweak\w*|tuned|"
    r"got\s+(?:us\s+)?close|close\s+but|(?:get|got|gotten)\s+us\s+(?:there|far)|"
    r"optimi[sz]ed|exhausted|maxed|plateau\w*|tops?\s+out|topped\s+out|ceiling|"
    r"hit\s+a\s+wall|stuck|still|fails?|failing|failed|doesn'?t|does\s+not|isn'?t|"
    r"didn'?t|did\s+not|doesnt|didnt|isnt|cant|wont|hasn'?t|has\s+not|hasnt|"
    r"wasn'?t|was\s+not|wasnt|weren'?t|were\s+not|"
    r"haven'?t\s+(?:been|achieved|managed|helped|fixed|worked|solved)|"
    r"did|used|added|wrote|the\s+works|all\s+of\s+it|"
    r"is\s+not|aren'?t|can'?t|cannot|won'?t|couldn'?t|not\s+enough|insufficient|"
    r"unreliable|inconsistent|drift\w*|breaks?|flaky|falls?\s+short|at\s+best|"
    r"only\s+gets?|weeks|months|"
    r"everything|extensively|every\s+trick|limits?|mislabel\w*|miss(?:es|ing)?|wrong|"
    r"not\s+good|no\s+good|struggl\w*|nail|off[\s-]brand|plateaued|gave\s+up|done\s+all|"
    r"no\s+matter\s+(?:how|what)|slips?|slipp\w*|keeps?\s+\w+ing|meh|bland|sort\s+of|"
    r"kind\s+of|mostly|almost|not\s+quite|pushed|as\s+far\s+as|dead[\s-]ends?|squeez\w*|"
    r"diminishing\s+returns|ran\s+out|flat\s?lin\w*|capped|levell?ed\s+off|max(?:ed)?\s+out|"
    r"nothing\s+(?:else\s+)?(?:works|helps|helped|worked)|exhaustive|stall\w*|dial+ed\s+in|"
    r"(?:is|are|was|were)\s+(?:done|finished)|as\s+good\s+as\s+it\s+gets|completed|"
    r"unable|not\s+able|a\s+(?:full\s+)?(?:month|quarter|year)|been\s+at\s+(?:it|the\s+prompt)|"
    r"since\s+(?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december|last\s+\w+|q[1-4]))\b"
    r"|\d+\s*%|\bone\s+(?:time\s+)?in\s+\w+\b|\btapped\s+out\b|\br[au]n\s+out\b|\brounds\s+of\b"
    r"|\bevery\s+(?:way|angle)\b"
    r"|\bnot\s+getting\s+(?:any\s+)?(?:further|better)\b|\bno\s+further\b"
    r"|\b(?:as\s+good\s+as|solid|refined|polished|optimi[sz]e|improve\s+anymore|loads\s+of|"
    r"heavily|iterations|versions|attempts|rewrites|experiments|many\s+tests)\b"
    r"|\b(?:seriously|hard|a\s+lot|a\s+ton|a\s+bunch|tons|thorough\w*|extensive\w*|deep|fiddl\w*|"
    r"reword\w*|spot\s+on|(?:good|tight)\s+as\s+(?:it|they)|every\s+way|all\s+sorts|loads\s+of|"
    r"(?:many|several|lots\s+of)\s+(?:different\s+)?(?:ways|instructions)|different\s+(?:ways|instructions)|"
    r"more\s+times\s+than|dozens\s+of\s+times|effort|no\s+further\s+avail|at\s+length|evenings|weekends|experiment\w*|the\s+lot|"
    r"serious\s+prompt\w*\s+(?:work|effort)|(?:we'?ve|we\s+have|i'?ve|i\s+have)\s+done|"
    r"iterat\w*|rework\w*|revis\w*|carefully|worked\s+(?:on|hard|seriously)|working\s+(?:on|with)|"
    r"(?:a\s+lot\s+of|lots\s+of|serious|real|significant|considerable)\s+(?:time|effort|work)|"
    r"put\s+(?:\w+\s+){0,3}?(?:time|effort|work|hours)\s+into|"
    r"since\s+(?:the\s+)?(?:spring|summer|autumn|fall|winter|then|launch))\b"
)

_DATA_STEMS = ("examples", "example", "samples", "labels", "labelled", "labeled",
               "annotations", "annotated", "dataset", "data", "rows", "pairs",
               "records", "transcripts", "labelling", "labeling")
_UNREVIEWED = re.compile(
    r"\b(?:un(?:reviewed|checked|verified|vetted|labell?ed|annotated|filtered|cleaned|"
    r"validated|curated)|noisy|messy|dirty|raw|scraped|synthetic|auto[\s-]?(?:labell?ed|"
    r"generated|tagged)|machine[\s-]labell?ed|weak(?:ly)?[\s-]labell?ed|keyword\s+rules|"
    r"heuristic\w*|crowd\w*|no\s+(?:quality\s+control|qa|review|one\s+(?:has\s+)?checked)|"
    r"(?:lots|full|plenty)\s+of\s+(?:errors|mistakes|noise)|errors|mistakes|"
    r"inconsistent\s+labels?|unknown\s+quality|quality\s+(?:is\s+)?unknown|"
    r"haven'?t\s+(?:been\s+)?(?:checked|reviewed|verified|cleaned)|"
    r"(?:not|never|nobody|no\s+one)\s+(?:\w+\s+){0,2}?(?:checked|reviewed|verified|"
    r"vetted|validated|cleaned|qa'?d|audited|assessed|evaluated|inspected|filtered|approved|curated|"
    r"double[\s-]checked|spot[\s-]checked|check|verify|review|audit)|"
    r"(?:came|come|comes|generated|assigned|produced|converted)\s+(?:automatically\s+)?(?:from|by)\s+"
    r"(?:an?\s+|our\s+|the\s+)?(?:[\w-]+\s+){0,2}?(?:script|rules?(?:\s+engine)?|heuristics?|regex\w*|"
    r"ocr|tool|dropdown|crowd|llm|gpt\S*|model|tagger|classifier)|automatically|auto[\s-]converted|"
    r"(?:has|had|with)\s+(?:known\s+)?bugs|buggy|"
    r"(?:gets?|got)\s+(?:about\s+|roughly\s+|maybe\s+)?(?:a\s+(?:fifth|third|quarter)|half|\d+\s*%|many|"
    r"lots|a\s+lot)\s+(?:of\s+them\s+)?wrong|"
    r"(?:nobody|no\s+one)\s+(?:(?:has|have|had|ever|really|yet)\s+){0,2}(?:gone|went|been|looked|read)\s+"
    r"through|outdated\s+(?:wording|templates?|style|language|format\w*|phrasing)|"
    r"(?:nobody|no\s+one)\s+is\s+sure|(?:nobody|no\s+one)\s+(?:\w+\s+){0,3}?(?:re-?label\w*|fix\w*|"
    r"correct\w*)|(?:laid\s+out|formatted|structured)\s+(?:\w+\s+)?differently|"
    r"(?:their|its)\s+own\s+versions?\s+of|"
    r"(?:\d+\s*%|(?:a|one)\s+(?:third|quarter|fifth)|half|many|lots|plenty|some)\s+(?:of\s+them\s+)?"
    r"(?:were|are|was|is)\s+(?:wrong|incorrect|bad|mislabell?ed|garbage|junk|off)|"
    r"(?:nobody|no\s+one|not\s+sure)\s+knows?\s+(?:which|how\s+many)|(?:need|have)\s+to\s+check|"
    r"no\s+idea\s+(?:how|if|whether|which)|unknown\s+provenance|error\s+rate|bad\s+agents|"
    r"of\s+varying\s+quality|"
    r"(?:nobody|no\s+one)'?s?\s+(?:\w+\s+){0,2}?(?:checked|reviewed|verified|looked|audited|"
    r"vetted|filtered|assessed|read|trusts?|approved)|(?:don'?t|do\s+not)\s+trust|untrust\w*|"
    r"(?:nobody|no\s+one)\s+(?:can\s+)?(?:tell|knows?|say)\s+(?:which|whether|if|how\s+many)|copied|"
    r"(?:don'?t|do\s+not|doesn'?t)\s+know\s+(?:which|whether|if|how\s+many)|"
    r"inconsisten\w*|in\s+a\s+rush|wrong\s+(?:half|most|a\s+lot)\s+(?:of\s+)?the\s+time|"
    r"generated\s+(?:\w+\s+){0,4}?(?:with|by|using)\s+(?:another\s+|an?\s+)?(?:llm|gpt\S*|ai|"
    r"model|claude|chatgpt)|"
    r"(?:haven'?t|have\s+not|havent|didn'?t)\s+(?:\w+\s+){0,2}?(?:looked\s+at|sorted|separated|"
    r"filtered|checked|reviewed|"
    r"verified|audited|cleaned|validated|gone\s+through)|"
    r"hit\s+(?:or|and)\s+miss|(?:nobody|no\s+one|not\s+sure|don'?t|do\s+not)\s+(?:\w+\s+){0,3}?"
    r"(?:knows?|sure)\s+(?:how|if|whether)\s+(?:\w+\s+){0,2}?(?:accurate|good|correct|reliable)|"
    r"(?:unknown|unclear|questionable)\s+(?:accuracy|quality)|not\s+sure\s+about\s+(?:\w+\s+)?"
    r"(?:data\s+)?quality|"
    r"(?:labels?|annotations?|tags|data)\b[^.!?]{0,60}\b(?:inconsistent|unreliable|noisy|"
    r"wrong|questionable|sketchy|garbage|messy|whatever)|"
    # doubt said without the usual words
    r"(?:aren'?t|are\s+not|isn'?t|is\s+not|weren'?t|were\s+not|not)\s+(?:\w+\s+)?(?:reliable|"
    r"trustworthy|trusted|accurate|consistent|correct|clean|usable)|"
    r"(?:a\s+lot|lots|many|most|half|some|plenty|loads|a\s+third|a\s+quarter|several)\s+"
    r"(?:of\s+(?:them|those|these|the\s+\w+)\s+)?(?:were|are|was|got)\s+(?:\w+\s+)?(?:rejected|"
    r"wrong|incorrect|off[\s-]brand|outdated|non[\s-]?compliant|flagged|bad|poor)|"
    r"(?:a\s+lot|lots|many|most|half|some|a\s+third|a\s+quarter|several)\s+of\s+(?:them|those|"
    r"these|the\s+\w+)\s+(?:didn'?t|don'?t|do\s+not|did\s+not|doesn'?t|fail(?:ed)?\s+to)\s+"
    r"(?:\w+\s+)?(?:follow|match|meet|fit|reflect|use)|"
    r"all\s+over\s+the\s+place|should\s+(?:not\s+)?have\s+been\s+(?:rejected|flagged|corrected|"
    r"approved)|disagree\w*|agreed\s+(?:with\s+each\s+other\s+)?(?:only|in\s+only)|"
    r"(?:low|poor)\s+(?:inter[\s-]annotator\s+)?agreement|"
    r"(?:they'?re|they\s+are|those\s+are|these\s+are|it'?s)\s+(?:often|frequently|sometimes|mostly|"
    r"usually|regularly|occasionally|partly|largely)\s+(?:wrong|incorrect|mislabell?ed|off|bad|"
    r"inconsistent)|"
    r"(?:nobody|no\s+one)\s+(?:has|have|had)\s+(?:ever\s+|yet\s+|really\s+)?(?:gone\s+through|"
    r"been\s+through|went\s+through|reconciled|sorted|deduplicated|cleaned|curated|triaged|"
    r"labell?ed|annotated)|"
    r"without\s+(?:a\s+|any\s+)?(?:shared\s+|common\s+|agreed\s+)?(?:rubric|guidelines?|"
    r"review|checks?|qa|quality\s+control)|"
    r"each\s+with\s+(?:their|its)\s+own\s+(?:tone|style|voice|conventions?|format|rules)|"
    r"(?:different|diff)\s+(?:\w+\s+){0,2}?(?:conventions|styles|standards|layouts|formats?|templates|versions|"
    r"voices|tones)|(?:don'?t|dont|do\s+not|doesn'?t)\s+(?:\w+\s+)?(?:sound|read)\s+like\s+(?:us|our)|"
    r"(?:every|each)\s+\w+\s+(?:uses?|has|writes?)\s+(?:a\s+|their\s+own\s+|its\s+own\s+)?"
    r"(?:diff|different|own)|predat\w*|zero\s+(?:human\s+)?(?:review|checks?|qa)|"
    r"(?:gpt\S*|llm|model|ai)[\s-]+(?:labell?ed|generated|tagged|written)|"
    r"(?:was|were|is|are)\s+(?:often|frequently|usually|mostly|sometimes)\s+"
    r"wrong|none\s+(?:of\s+them\s+)?(?:went|were|got|had)\b[^.!?]{0,30}\b(?:review|check)\w*|"
    r"(?:no\s+one|nobody)\s+checking|no\s+shared\s+(?:rules|guidelines|rubric|standards?)|"
    r"(?:each|every\s+one)\s+with\s+(?:a\s+)?different|(?:don'?t|do\s+not|doesn'?t)\s+agree|(?:all\s+)?sound\s+different|"
    r"(?:a\s+fair\s+few|quite\s+a\s+few|a\s+few|several)\s+(?:of\s+them\s+)?(?:were|are)\s+(?:wrong|"
    r"incorrect|off)|(?:nobody|no\s+one)\s+went\s+back|(?:had|got|let)\s+(?:the\s+)?(?:ai|model|llm|gpt|"
    r"chatgpt)\s+(?:draft|write|generate|make|produce)|however\s+they\s+(?:like|want|please)|all\s+over\b|"
    r"(?:a\s+(?:third|quarter|fifth)|half|\d+\s*%|many|most|lots)\s+of\s+(?:them|those|these|the\s+\w+)\s+"
    r"(?:were\s+|are\s+)?(?:mislabell?ed|wrong|incorrect|bad|incomplete)|"
    r"(?:most|many|half|lots)\s+(?:of\s+them\s+)?(?:\w+\s+){0,2}?(?:wrong|incorrect|incomplete))\b"
)
_REVIEWED = re.compile(
    r"\b(?:reviewed|verified|vetted|approved|checked|validated|qa'?d|quality[\s-]checked|"
    r"gold(?:en)?|signed\s+off|quality[\s-]controll?ed|subbed|sub-edited|hand[\s-](?:labell?ed|annotated|written|curated|checked)|"
    r"curated|audited|double[\s-]checked|spot[\s-]checked|expert[\s-]labell?ed|adjudicated|"
    r"labell?ed\s+by\s+(?:our\s+)?(?:experts?|clinicians|doctors|lawyers|analysts|"
    r"editors|specialists|the\s+\w+\s+team)|corrected|proofread|clean)\b"
)
_KB_IN_PLACE = re.compile(
    r"\b(?:already|currently|now)\s+(?:\w+\s+){0,3}?(?:rag|retrieval|vector\s+(?:db|"
    r"search|store)|knowledge\s+base|search\s+index|embeddings?\s+search|grounding|"
    r"ground(?:ed|s)?)\b|\b(?:rag|retrieval)\s+(?:\w+\s+){0,2}?(?:handles|covers|works|"
    r"is\s+working|takes\s+care|is\s+in\s+place|is\s+fine|already)\b|"
    r"\bwe\s+(?:have|use|built|run)\s+(?:a\s+)?(?:rag|retrieval)\b"
    r"|\b(?:bot|assistant|system|it|tool)\s+(?:already\s+)?uses\s+(?:a\s+)?(?:rag|retrieval)\b"
    r"|\b(?:hook\w*|connect\w*|wir\w*|plug\w*)\s+(?:it\s+|him\s+|the\s+bot\s+)?(?:up\s+)?(?:to|into)\s+"
    r"(?:our|the|a)\s+(?:[\w-]+\s+){0,2}?(?:api|database|db|knowledge\s+base|search|catalogue|catalog|"
    r"feed|docs)\b"
    r"|\bretrieval[\s-]augmented\b|\brag[\s-](?:based|powered)\b|\b(?:via|through)\s+(?:a\s+)?"
    r"(?:rag|retrieval)\b"
    r"|\b(?:runs?|running|built|sits?|based)\s+on\s+(?:top\s+of\s+)?(?:a|an|our|the)\s+(?:\w+\s+)?"
    r"(?:rag|retrieval)\b"
    r"|\b(?:rag|retrieval)\b[^.!?\n]{0,40}?\bin\s+place\b"
)


@lru_cache(maxsize=4096)
def _near(word: str, stems: tuple[str, ...]) -> bool:
    """`word` equals a stem or is one edit away from one (for words of 5+ letters)."""
    if word in stems:
        return True
    if len(word) < 5:
        return False
    return any(abs(len(word) - len(s)) <= 1 and _one_edit(word, s) for s in stems)


def _one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (
            i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
        )
    return a[i:] == b[i + 1 :]


def _normalise(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


def mentions_prompting(text: str) -> bool:
    low = _normalise(text)
    return (
        bool(_PROMPT_PHRASES.search(low))
        or any(_near(part, _PROMPT_STEMS) for w in _WORD.findall(low)
               for part in {w.removesuffix("'s"), *w.split("-")})
    )


_HISTORY = re.compile(
    r"\b(?:started|began|starting)\s+(?:out\s+|off\s+)?with\b[^.;!?]*?(?=\b(?:then|but|since|"
    r"after\s+that|later)\b)"
)


def prompting_polarity(clause: str) -> str | None:
    """"not_tried", "exhausted", or None when the clause says neither. "It ignores
    the rules in our prompt" is a complaint about the model, not a report of effort."""
    low = _normalise(clause)
    if not mentions_prompting(low) or ignores_instructions(low):
        return None
    # "we started with a simple prompt, then spent six weeks on it": history, not the state
    low = _HISTORY.sub(" ", low)
    if _NEGATED_ATTEMPT.search(low):
        return "not_tried"
    if _REPORTED_LIMIT.search(low):
        return "exhausted"
    return None


# "normalise messy reagent names", "parse raw OCR text": the task's input is messy, not the labels
_MESSY_INPUT = re.compile(
    r"\b(?:normali[sz]\w*|clean\w*(?:\s+up)?|pars(?:e|es|ing)|extract\w*(?:\s+\w+)?\s+from|"
    r"classif\w*|categori[sz]\w*|tidy\w*|standardi[sz]\w*|fix\w*|map\w*|handl\w*|read\w*|turn\w*|"
    r"convert\w*|transform\w*|rout\w*|sort\w*|(?:come|comes|arrive|arrives)\s+(?:in\s+)?as)\s+"
    r"(?:\w+\s+){0,2}?(?:messy|noisy|raw|dirty|scraped|inconsistent|free[\s-]text)\b"
)


# "two analysts who reconciled every disagreement", "disagreements resolved by a lead":
# a review step, not doubt
_SETTLED_DISAGREEMENT = re.compile(
    r"\b(?:reconcil\w*|resolv\w*|adjudicat\w*|settl\w*)\s+(?:on\s+|of\s+)?(?:every|all|each|any|the|"
    r"their)?\s*disagreements?\b"
    r"|\bdisagreements?\s+(?:were\s+|are\s+|got\s+|all\s+)?(?:resolved|adjudicated|reconciled|settled)\b"
)


_FOLLOW_UP_EFFORT = re.compile(
    r"\b(?:spent|tried|iterat\w*|work(?:ed)?\s+on|went\s+back|rewr\w+|tweak\w*|rework\w*|"
    r"revis\w*|put\s+in)\b"
)


def follow_up_effort(turn: str) -> str | None:
    """In a thread that already talks about the prompt, a turn reporting more work on
    "it" ("ok we went back and spent two sprints on it, still off-brand") is prompting
    effort even though it does not name the prompt."""
    low = _normalise(turn)
    if _NEGATED_ATTEMPT.search(low):
        return "not_tried"
    if _FOLLOW_UP_EFFORT.search(low) and _REPORTED_LIMIT.search(low):
        return "exhausted"
    return None


def data_polarity(clause: str) -> str | None:
    """"unreviewed", "reviewed", or None. Doubt wins: any sign the labels are
    unchecked or noisy outweighs a word of approval in the same clause."""
    low = _MESSY_INPUT.sub(" ", _normalise(clause))
    low = _SETTLED_DISAGREEMENT.sub(" adjudicated ", low)
    if _UNREVIEWED.search(low):
        return "unreviewed"
    if _REVIEWED.search(low):
        return "reviewed"
    return None


def mentions_data(clause: str) -> bool:
    return any(_near(w, _DATA_STEMS) for w in _WORD.findall(_normalise(clause)))


# "we do have a RAG setup but it pulls the wrong docs": retrieval exists but fails
_KB_FAILING = re.compile(
    r"\b(?:rag|retrieval|search)\b[^.!?]{0,60}\b(?:wrong\s+(?:docs?|documents|chunks|passages|pages|"
    r"sections)|doesn'?t\s+find|can'?t\s+find|misses|fails|is\s+(?:bad|poor|broken|flaky|unreliable))"
)


def knowledge_base_in_place(clause: str) -> bool:
    low = _normalise(clause)
    return bool(_KB_IN_PLACE.search(low)) and not _KB_FAILING.search(low)


_GOAL_NEGATION = re.compile(
    r"\b(?:don'?t|do\s+not|doesn'?t|does\s+not|isn'?t|is\s+not|aren'?t|are\s+not|not|"
    r"no(?!\s+matter)|never)\b[^.!?]{0,40}?\b(?:need|care|want|matter\w*|issue|"
    r"problem|"
    r"concern|important|bother\w*|priority|worr\w*)\b"
    r"|\b(?:already|is|are)\s+(?:fine(?![\s-]*tun)|ok|okay|good|great|solved|handled)\b"
    r"|\b(?:fine|happy|ok|okay|good|content)\s+with\b"
)


def negates_goal(clause: str) -> bool:
    """The clause rules a goal out ("we don't care about tone", "latency is fine")."""
    return bool(_GOAL_NEGATION.search(_normalise(clause)))


_NOT = (r"(?:doesn'?t|does\s+not|don'?t|do\s+not|won'?t|will\s+not|wont|doesnt|dont|"
        r"can'?t|cannot|fails?\s+to|failing\s+to|never|refuses\s+to|struggles\s+to)")
_FOLLOW = r"(?:follow|respect|obey|stick\s+to|adhere\s+to|comply\s+with|honou?r|keep\s+to)"
# Reported behaviour only ("it ignores"), not the imperative ("ignore previous ...").
_IGNORE = (r"(?:ignores|ignoring|ignored|skips|skipping|skipped|forgets|forgetting|forgot|"
           r"leaves\s+out|leaving\s+out|left\s+out|"
           r"disregards|disregarding|breaks|breaking|omits|omitting|omitted|misses|missing|"
           r"dropping|drops\s+(?:the|a|step))")
_GIVEN = (r"(?:instructions?|instructons|rules?|constraints?|steps?|checklist|procedures?|"
          r"conventions?|guidelines|requirements|limits?|conditions|the\s+prompt|our\s+prompt|"
          r"what\s+we\s+(?:specify|ask|say|tell\s+it))")
_IGNORED_INSTRUCTIONS = re.compile(
    rf"\b{_NOT}\s+(?:\w+\s+){{0,3}}?{_FOLLOW}\b[^.!?]{{0,50}}?\b{_GIVEN}\b"
    rf"|\b{_IGNORE}\b[^.!?]{{0,80}}?\b{_GIVEN}\b"
    # "it disregards several of these", "deviates from them", "obeys maybe half"
    r"|\b(?:is|are|was)\s+(?:told|instructed|asked|supposed|meant|required)\s+to\b[^.!?]{0,160}?"
    r"\bbut\s+(?:it|the\s+model|the\s+bot|the\s+assistant)\b"
    r"|\b(?:jumps?|skips?|goes|went|jumped|skipped)\s+straight\s+to\b"
    r"|\b(?:steps?|questions|procedures?|others|tasks|checks)\s+(?:\w+\s+){0,2}?(?:out\s+of\s+order|"
    r"in\s+the\s+wrong\s+order)\b"
    r"|\b(?:ignor\w*|disregard\w*|deviat\w*\s+from|forg[eo]t\w*|skip\w*|omit\w*|break\w*|reorder\w*|"
    r"dropp\w*|miss(?:es|ing))\s+(?:\w+\s+){0,4}?(?:them|these|those|others|the\s+rest|the\s+others)\b"
    r"|\b(?:skips|skipping|skipped|omits|omitting|omitted)\s+(?:step\s+|number\s+|#)?\d\b"
    r"|\bobey\w*\s+(?:only\s+|maybe\s+|about\s+|roughly\s+)?(?:half|two[\s-]thirds|some|"
    r"a\s+few|\d+)\b"
    # "follows the first dozen fine, then the rest are hit and miss"
    r"|\b(?:obey\w*|follow\w*|honou?r\w*|respect\w*|appl(?:y|ies|ied))\s+(?:only\s+|maybe\s+|"
    r"about\s+|roughly\s+)?(?:half|two[\s-]thirds|some|a\s+few|the\s+first|\d+|two|three|four|"
    r"five|six|seven|eight|nine|ten|a\s+dozen)\b(?:[^.!?]{0,60}?\b(?:the\s+rest|others|remaining)\b|"
    r"\s+of\s+(?:them|those|these|the\s+rules|the\s+steps|the\s+instructions)\b)"
    # "our prompt has 14 rules and it keeps skipping 9 and 11"
    r"|\b(?:rules|instructions|constraints|checklist|procedures|requirements|guidelines)\b"
    r"[^.!?]{0,60}?\b(?:ignores|ignoring|ignored|skips|skipping|skipped|forgets|"
    r"forgetting|forgot|omits|omitting|omitted|disregards)\b"
)


def mentions_instructions(text: str) -> bool:
    """The text talks about the instructions or rules the model was given."""
    return bool(re.search(rf"\b{_GIVEN}\b", _normalise(text)))


def ignores_instructions(clause: str) -> bool:
    """The clause complains that the model does not follow what it is told ("it
    doesn't follow the steps in our prompt", "ignores half our rules")."""
    return bool(_IGNORED_INSTRUCTIONS.search(_normalise(clause)))


_TASK_VERB = re.compile(
    # the phrase with its object first ("turn plain-English questions into"), so that a
    # knowledge word inside it is read as the task's input
    r"\b(?:mark\w*\s+(?:each|every|which|whether|how)\b|"
    r"put\s+(?:each|every|them|it)\s+(?:\w+\s+){0,2}?in(?:to)?\s+(?:one\s+of|the\s+right)\b|"
    r"(?:say|tell|decide|work\s+out|figure\s+out)\s+which\s+(?:of\s+(?:our|the)\b|(?:\w+\s+){0,4}?"
    r"(?:each|it|they|goes|should|is\s+needed))|"
    r"(?:direct|send|assign)\w*\s+(?:\w+\s+){0,3}?to\s+one\s+of\b|sort\w*\s+(?:[\w'-]+\s+){0,4}?by\b|"
    r"(?:pick|choos|select)\w*\s+(?:[\w'-]+\s+){0,6}?from\s+(?:a|our|the|their)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:list|set|taxonomy|catalogue|catalog|codes)\b|"
    r"(?:map|sort|turn|split|bucket|classif\w*|categori[sz]\w*|rout\w*|convert\w*)"
    r"(?:s|ing|ed)?\s+(?:[\w'-]+\s+){0,6}?(?:to|onto|into)\b|"
    r"pull(?:s|ing|ed)?\s+(?:[\w'-]+\s+){0,4}?(?:out\s+of|from)\b|"
    # "tell whether a message is billing or tech": a yes/no or pick-one judgement
    r"(?:tell|determine|work\s+out|figure\s+out|predict|judge)\s+(?:whether|if)\s+"
    r"(?:a|an|the|each|every|this|that)\s+(?!fine|ft\b|tun|train)|"
    r"classif\w*|categori[sz]\w*|tag|tags|tagging|route|routes|routing|triag\w*|spot(?:s|ting)|"
    r"extract\w*|label|labels|labelling|labeling|detect\w*|convert\w*|transform\w*|"
    r"normali[sz]\w*|pars(?:e|es|ing)|assign\w*|flag(?:s|ging)?|redact\w*|catch(?:es|ing)?|"
    r"filter(?:s|ing)?|grad(?:e|es|ing)|classifier|clf|ner|named[\s-]entit\w*|sentiment)\b"
)
_KNOWLEDGE_NEED = re.compile(
    r"\b(?:answer\w*|ask\w*|questions?|know\w*|look\w*\s+up|search\w*|cite\w*|quot\w*|"
    r"facts?|factual\w*|up[\s-]to[\s-]date|latest|recent\w*|current|hallucinat\w*|"
    r"made[\s-]up|makes?\s+up|making\s+up|invent\w*)\b"
)


def names_task(clause: str) -> bool:
    """The clause describes a narrow task done on the text ("classifying claims into
    defect codes", "extract fields from invoices"), not a need for knowledge: a
    document named in it is the input, not something the model must know. Words of
    knowledge inside the task's own phrase are its input too ("turn plain-English
    questions into our query DSL")."""
    low = _normalise(clause)
    rest = _TASK_VERB.sub(" ", low)
    return rest != low and not _KNOWLEDGE_NEED.search(rest)


_REFERENCE_DOCS = (
    r"(?:docs|documents|documentation|wiki|handbook|manuals?|knowledge\s*base|kb|policies|"
    r"policy|contracts|pdfs|confluence|notion|intranet|sharepoint|faqs?|guides?|guidelines|"
    r"textbooks?|catalogue|catalog|protocols?|procedures|regulations|codebase|archive|"
    r"database|records|material|materials|content|runbooks?|playbooks?|specs|rules|sops?|standards|"
    r"registers?|registry|holdings|"
    r"press\s+releases|announcements|news|changelogs?|files)"
)
_FABRICATION = re.compile(
    r"\b(?:mak(?:e|es|ing)|made)\s+(?:\w+\s+){0,2}?up\b"
    # "it invents products"; not "we had the model invent chat lines" (making data)
    r"|(?:\binvent(?:s|ed|ing)|(?<!model\s)(?<!llm\s)(?<!gpt\s)\binvent)\b"
    r"(?!\s+(?:new\s+)?(?:field|key|label|categor|tag|column|format|name|word|phrase))"
    # "prices for stuff we don't even sell", "colours we've never made"
    r"|\b(?:stuff|things|[a-z]{3,}s)\s+(?:that\s+|which\s+)?(?:we|they)(?:'ve|\s+have)?\s+(?:don'?t|do\s+not|"
    r"no\s+longer|never)\s+(?:even\s+)?(?:have|hold|sell|sold|stock|offer|offered|carry|make|made|had)\b"
    r"|\bhallucinat\w*|\bfabricat\w*|\bconfabulat\w*|\bmis(?:stat|quot|report|cit)\w*"
    r"|\b(?:incorrect|wrong|false|inaccurate|outdated|fake|non[\s-]?existent|made[\s-]up)\s+"
    r"(?:[\w-]+\s+){0,3}?(?:facts?|answers?|information|info|figures|numbers|dates|prices|"
    r"details|citations?|references?|precedents?|quotes?|specs?|steps|procedures?|values|limits|"
    r"amounts|doses|dosages)\b"
    # "gets the opening hours of our branches wrong" (not "gets one in six wrong": a task error)
    r"|\bgets?\s+(?:(?!format|tone|json|structure|schema|layout|style)[\w'-]+\s+){0,4}?(?:our|their)\s+"
    r"(?:(?!format|tone|json|structure|schema|layout|style)[\w'-]+\s+){0,3}?wrong\b"
    r"|\b(?:quot|giv|stat|tell|cit)\w*\s+(?:\w+\s+){0,2}?(?:the\s+)?wrong\s+(?!format|layout|tone|order|"
    r"structure|template|json)\w+"
    r"|\bmix(?:es|ed|ing)?\s+up\s+(?:our|their)\s+(?:[\w'-]+\s+){0,3}?(?:dates|prices|figures|numbers|names|"
    r"details|rates|facts)\b"
    r"|\b(?:our|their)\s+(?:actual|current|real|correct|latest|up[\s-]to[\s-]date)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:prices|rates|fees|hours|stock|availability|packages|menu|schedule|timetable)\b"
    r"|\bstick\s+to\s+(?:the\s+)?facts\b|\b(?:bad|terrible|poor|weak|awful|hopeless)\s+(?:at|with)\s+"
    r"(?:the\s+)?facts\b|\bget(?:s|ting)?\s+(?:\w+\s+){0,3}?facts?\s+wrong\b"
    r"|\b(?:facts?|answers?|information|info|figures|numbers|dates|prices|details|rates|specs?)\s+"
    r"(?:\w+\s+){0,4}?(?:are|is|were|was)\s+(?:\w+\s+){0,2}?(?:wrong|incorrect|inaccurate|made[\s-]up)\b"
    r"|\bget\s+(?:\w+\s+){0,4}?(?:facts?|numbers|figures|rates|prices|dates|details|specs?)\s+right\b"
    r"|\b(?:don'?t|doesn'?t|do\s+not|does\s+not)\s+(?:even\s+)?exist\b"
    r"|\b(?:respond\w*|answer\w*|repl(?:y|ies))\s+(?:\w+\s+){0,3}?accurately\b"
)
_DOCUMENT_NEED = re.compile(
    r"\b(?:fine[\s-]?tun\w*|finetun\w*|train\w*|ft|lora|qlora)\s+(?:\w+\s+){0,3}?on\s+(?:all\s+|a\s+\w+\s+)?"
    r"(?:of\s+)?(?:our|the|its|their|my|this|that|these|those)\s+(?:own\s+|full\s+|whole\s+)?"
    r"(?:[\w-]+\s+){0,2}?"
    + _REFERENCE_DOCS + r"\b"
    r"|\b(?:answer\w*|respond\w*|repl(?:y|ies))\s+(?:[\w'-]+\s+){0,4}?(?:from|using|based\s+on|"
    r"out\s+of)\s+(?:\w+\s+){0,2}?(?:our|the|its|their|that|this)\s+(?:own\s+)?"
    r"(?:[\w-]+\s+){0,3}?" + _REFERENCE_DOCS + r"\b"
    r"|\b(?:quot\w*|cit(?:e|es|ing))\s+(?:our|their|the)\s+(?:own\s+|official\s+)?(?:[\w-]+\s+){0,2}?"
    + _REFERENCE_DOCS + r"\b"
    r"|\b(?:answer\w*|respond\w*|repl(?:y|ies))\s+(?:\w+\s+){0,5}?(?:according\s+to|in\s+line\s+with|"
    r"on\s+the\s+basis\s+of|grounded\s+in)\s+(?:our|the|its|their)\b"
    r"|\banswers?\s+out\s+of\b|\banswers?\s+(?:\w+\s+){0,2}?from\s+(?:it|them|these|those)\b"
    r"|\b(?:quot\w*|cit(?:e|es|ing)|look\w*\s+up|retriev\w*|recall\w*)\s+(?:[\w,'-]+\s+){0,10}?"
    r"(?:from|in)\s+(?:our|their|these|those)\s+(?:own\s+)?(?:[\w-]+\s+){0,2}?[\w-]+"
    r"|\bso\s+(?:that\s+)?it\s+['\"]?knows?\b|\bto\s+know\s+(?:about\s+)?(?:our|their|all\s+our)\b"
    r"|(?<!keeps\s)(?<!it\s)(?<!bot\s)(?<!model\s)\bask\w*\s+(?:\w+\s+){0,3}?(?:things|questions)\b|\bask\w*\s+(?:\w+\s+){0,3}?about\s+"
    r"(?:\w+\s+){0,4}?(?:in|from|of)\s+(?:our|their)\b"
    r"|\bquestions?\s+(?:about|on|regarding)\s+(?:our|their)\b"
    r"|\b(?:(?:doesn'?t|does\s+not|don'?t|do\s+not)\s+know|ha(?:s|ve)\s+no\s+(?:clue|idea)|is\s+"
    r"(?:clueless|unaware)|never\s+heard)\s+(?:about\s+|of\s+)?(?:our|the|its|their)\b"
    r"|\b(?:quot\w*|recit\w*|reproduc\w*|cit(?:e|es|ing))\s+(?:\w+\s+){0,3}?(?:word[\s-]for[\s-]word|"
    r"verbatim)\b"
)


_OUTDATED = re.compile(
    r"\bstill\s+thinks\b|\bthinks\s+(?:\w+\s+){0,6}?still\b|\bout[\s-]of[\s-]date\b|\boutdated\b"
    r"|\b(?:doesn'?t|does\s+not|don'?t|do\s+not)\s+know\s+(?:about\s+)?(?:the\s+|our\s+|any\s+)?"
    r"(?:new|latest|recent|current)\b|\b(?:after|since|past|beyond)\s+(?:its|the|their)\s+"
    r"(?:training\s+)?(?:data\s+|knowledge\s+)?cut-?off\b"
    r"|\b(?:keep|stay|kept)\s+(?:\w+\s+){0,3}?(?:up[\s-]to[\s-]date|current|informed)\b"
    r"|\b(?:change[sd]?|updated|revised)\s+(?:every|each)\s+(?:few\s+)?(?:day|week|month|quarter|"
    r"year)s?\b"
    r"|\b(?:chang|shift|mov|updat|evolv)\w*\s+(?:\w+\s+){0,4}?(?:daily|weekly|monthly|all\s+the\s+time|"
    r"constantly)\b"
    r"|\b(?:revised|updated|changed?|amended)\s+(?:\w+\s+){0,2}?times\s+a\s+(?:year|month|week)\b"
    r"|\brevis\w*\s+(?:\w+\s+)?(?:every|each)\s+\w+|\bsupersed\w*|\bobsolete\b"
    r"|\bno\s+longer\s+(?:valid|applies|apply|in\s+force|current)\b"
    r"|\b(?:was|were|is|are)\s+(?:our|the)\s+old\s+(?:rule|policy|price|rate|process|limit)s?\b"
    r"|\b(?:know\w*|clue|idea|unaware|heard)\b[^.!?]{0,60}\b(?:came\s+out|released|published|announced|"
    r"launched|issued|introduced)\s+(?:\w+\s+)?(?:last|this|recently)\b"
)


def knowledge_need(clause: str) -> str | None:
    """"factual_accuracy" when the clause complains that the model makes things up,
    "recent_knowledge" when its knowledge is out of date ("it still thinks..."),
    "know_documents" when it asks to train on, or answer from, the team's own
    reference documents ("fine-tune on our wiki", "answer from our handbook");
    otherwise None. Sentence embeddings blur these with behaviour requests that
    mention the same documents."""
    low = _normalise(clause)
    if _FABRICATION.search(low):
        return "factual_accuracy"
    if _OUTDATED.search(low):
        return "recent_knowledge"
    if _DOCUMENT_NEED.search(low):
        return "know_documents"
    return None


_FT_WORD = r"(?:fine[\s-]?tun\w*|finetun\w*|tun(?:e|es|ed|ing)|ft|train\w*|lora|qlora)"
_LOGISTICS = (r"(?:cost\w*|pric\w*|budget\w*|bill|expensive|gpus?|rtx\s*\d+|a100s?|h100s?|"
              r"vram|hardware|how\s+long|how\s+much|hours?|compute|provider\w*|vendors?|\$+|money|"
              r"worth)")
_HARDWARE = re.compile(r"\b(?:gpus?|rtx\s*\d+s?|a100s?|h100s?|vram|graphics\s+cards?)\b"
                       r"|\b(?:what|how\s+much)\s+(?:would|will|does|did)\s+it\s+cost\b")
_SAVING = re.compile(
    r"\b(?:cheap\w*|cut\w*|reduc\w*|sav\w*|lower\w*|inference|latency|faster|slow\w*|"
    r"distil\w*|per\s+(?:call|request|query)|api\s+bill|(?:the|our)\s+expensive|for\s+cost|"
    r"swap\w*|switch\w*|migrat\w*|replac\w*|mov(?:e|es|ing)\s+(?:\w+\s+){0,4}?from|"
    r"(?:stop|less)\s+paying|pay(?:ing)?\s+less)\b"
)
_ABOUT_FINE_TUNING = re.compile(
    rf"(?<!\w){_LOGISTICS}(?!\w)[^.!?]{{0,40}}?\b{_FT_WORD}\b"
    rf"|\b{_FT_WORD}\b[^.!?]{{0,40}}?(?<!\w){_LOGISTICS}(?!\w)"
)


def asks_about_fine_tuning(clause: str) -> bool:
    """The clause asks what fine-tuning itself would take (its price, hardware or
    provider: "what would it cost to fine-tune Llama?"), which is not the goal of
    making the model cheaper or faster to run."""
    low = _normalise(clause)
    about = _ABOUT_FINE_TUNING.search(low) or _HARDWARE.search(low)
    return bool(about) and not _SAVING.search(low)


_NO_USE_CASE = re.compile(
    r"\b(?:no|don'?t\s+have\s+(?:a|any)|do\s+not\s+have\s+(?:a|any)|"
    r"haven'?t\s+(?:got|identified|defined|found|picked|settled\s+on)\s+(?:a|any)|"
    r"without\s+(?:a|any)|can'?t\s+(?:point\s+to|name|think\s+of)\s+(?:a|any)|there'?s\s+no|"
    r"there\s+is(?:n'?t|\s+no)(?:\s+a|\s+any)?|isn'?t\s+(?:a|any)|not\s+(?:a|any))\s+(?:\w+\s+)?"
    r"(?:specific|particular|concrete|clear|defined|real)\s+(?:use[\s-]?case|problem|task|project|"
    r"feature|requirement|goal|need|application|thing|issue|pain\s+point)s?\b"
    r"|\b(?:nothing|anything)\s+(?:in\s+particular|specific|particular)\b"
    r"|\bno\s+(?:further\s+|specific\s+|clear\s+|concrete\s+)?(?:use[\s-]?cases?|requirements)\b"
    r"|\b(?:nobody|no\s+one)\s+has\s+(?:said|decided|defined)\s+what\s+(?:it|we)\b"
    r"|\b(?:hasn'?t|haven'?t|didn'?t|never)\s+(?:\w+\s+)?said\s+what\s+(?:exactly\s+)?(?:it'?s\s+for|"
    r"it\s+is\s+for|for|it\s+would\s+(?:do|be\s+for))\b"
    r"|\b(?:(?:didn'?t|doesn'?t|don'?t)\s+have\s+anything|nothing)\s+(?:specific|particular|concrete)\s+"
    r"in\s+mind\b"
    r"|\b(?:don'?t|do\s+not)\s+(?:really\s+)?know\s+what\s+(?:fine[\s-]?tuning|it)\s+(?:is|would\s+be)\s+"
    r"(?:for|good\s+for)\b"
    r"|\bnot\s+sure\s+what\s+(?:we'?d|we\s+would|we\s+will|to)\s+use\s+it\s+for\b"
)


def denies_use_case(text: str) -> bool:
    """The asker says there is no concrete use case yet ("I don't have a specific
    problem to solve", "no use case has been identified"): whatever the rest of the
    message brushes against is not a goal."""
    return bool(_NO_USE_CASE.search(_normalise(text)))


_SCORE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|percent|per\s+cent)"
    r"|\b(?:accuracy|f1|precision|recall|score)\b[^.!?]{0,30}?\b(?:0?\.\d+|\d+)\b"
)


def reports_score(clause: str) -> bool:
    """The clause reports a measured score ("tops out at 78% accuracy", "F1 of 0.81"):
    a task metric, not a complaint about the model's facts."""
    return bool(_SCORE.search(_normalise(clause)))


_GOAL_TERMS = {
    "tone_style": re.compile(
        r"\b(?:tone|register|writing\s+style|house\s+style|brand\s+style|in\s+the\s+style\s+of|"
        r"brand\s+voice|(?:our|their|its|a|the)\s+(?:\w+\s+)?voice(?!\s+(?:assistant|notes?|calls?|"
        r"recordings?|bot|channel|memos?|messages?))|sounds?\s+(?:like|more|less)|"
        r"sounding\s+like|on[\s-]brand|off[\s-]brand|persona|(?:reads?|writes?|reading|writing)\s+like|"
        r"comes?\s+across\s+as|funny|(?:it|they|replies|answers|responses|copy|output|drafts?|emails?|"
        r"posts?|bot|model|assistant|letters?|messages?)\s+(?:still\s+|often\s+|always\s+)?sounds?"
        r"(?!\s+(?:cool|good|great|fine|ok|okay|interesting|fun|promising|exciting|like\s+a\s+plan))|humou?r\w*|witty|playful|irreverent|stiff|robotic|"
        r"(?:our|their|its|a|the)\s+(?:[\w-]+,?\s+){0,3}?style(?!\s+(?:transfer|of\s+questions)))\b"),
    "output_format": re.compile(
        r"\b(?:json|yaml|xml|csv|schema|templates?|markdown|layout|structured?|format(?:ted|ting)?|"
        r"key[\s-]value|columns?|syntax|render(?:s|ed)?|parse?able)\b"),
    "cost_latency": re.compile(
        r"\b(?:(?:cheap|cheaper|small|smaller|tiny|distilled)\s+(?:[\w-]+\s+)?model|expensive|"
        r"costs?\s+(?:too\s+much|a\s+fortune|a\s+lot)|latency|too\s+slow|slow\s+af|"
        r"per\s+(?:call|request|query)|api\s+(?:bill|costs?)|for\s+cost|on[\s-](?:device|prem)|"
        r"(?:cut|cuts|cutting|reduc\w*|lower\w*|sav(?:e|es|ing)|slash\w*|trim\w*|halv\w*)\s+"
        r"(?:\w+\s+){0,2}?(?:money|costs?|spend\w*|bills?|latency|inference)|"
        r"(?:swap\w*|switch\w*|mov(?:e|es|ing)|migrat\w*|replac\w*|downsiz\w*)\s+"
        r"(?:[\w-]+\s+){0,8}?(?:to|onto|for|with)\s+(?:an?\s+)?(?:[\w-]+\s+){0,3}?"
        r"(?:\d+(?:\.\d+)?\s*b|small(?:er)?|tiny|mini|local|self[\s-]hosted)\b)\b"),
}


def goal_terms(clause: str) -> list[str]:
    """Goals the clause names in the framework's own terms ("tone", "brand voice",
    "JSON", "schema", "a smaller model", "latency"). A weak prior next to the
    embedding match, which sometimes loses these clauses to generic fine-tuning talk."""
    low = _normalise(clause)
    found = [goal for goal, pattern in _GOAL_TERMS.items() if pattern.search(low)]
    if asks_about_fine_tuning(low):
        found = [goal for goal in found if goal != "cost_latency"]
    return found
