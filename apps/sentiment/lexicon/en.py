"""English cues for shop chat. Matched on whole words (ASCII boundaries), longest match first.

Same weight scale as the Chinese lexicon. The text is lower-cased, typo-fixed
("recieved", "hasnt", "thx") and letter runs are shortened ("soooo" → "soo") before matching.
Regex entries are wrapped in word boundaries by the tagger.
"""

from __future__ import annotations

from apps.sentiment.lexicon.shared import terms, words

_DUR_N = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|few|couple of|many)"
_DUR = _DUR_N + r"(?: more| whole| full| entire)? (?:days?|weeks?|months?|hours?|minutes|mins|hrs)"
_ITEM = r"(?:item|items|size|colou?r|product|order|thing|one|model|book|shoes?|parcel|package)"

POSITIVE: dict[str, float] = {
    **terms(0.9, "outstanding|flawless|exceeded my expectations|exceeded expectations|best ever"),
    **terms(0.9, "couldn't be happier|could not be happier|highly recommend|absolutely love"),
    **terms(
        0.8, "excellent|amazing|awesome|fantastic|wonderful|brilliant|superb|top notch|5 stars"
    ),
    **terms(0.8, "five stars|love it|loved it|love them|loves it|gorgeous|stunning|delighted"),
    **terms(0.8, "thrilled|lifesaver|life saver|perfect|impeccable|10/10|a+|goated|slaps"),
    **terms(0.7, "great|love|loved|loves|lovely|beautiful|happy|pleased|satisfied|impressed"),
    **terms(0.7, "recommend|helpful|well made|well done|great job|kudos|rocks|you rock"),
    **terms(0.7, "better than expected|better than i expected|even better|works great|best"),
    **terms(0.7, "works perfectly|fits perfectly|fits like a glove|worth it|worth every penny"),
    **terms(0.7, "incredible|impressive|superb quality|great quality|so good|can't wait"),
    **terms(0.6, "good|nice|glad|enjoy|enjoyed|comfortable|comfy|speedy|quick response|solid"),
    **terms(0.6, "exactly what i needed|exactly what i wanted|as described|as advertised|legit"),
    **terms(0.6, "problem solved|all sorted|sorted|resolved|solved|works well|works fine"),
    **terms(0.6, "no complaints|fits well|fits great|fast shipping|fast delivery|quick delivery"),
    **terms(0.6, "super fast|so fast|really fast|very fast|arrived early|ahead of schedule|dope"),
    **terms(0.5, "fast|quick|quickly|smooth|easy|cute|sturdy|fresh|patient|kind|friendly|fab"),
    **terms(0.5, "on time|early|fixed|not bad|pretty good|pleasant|cool|neat|reliable|handy"),
    **terms(0.5, "can't complain|recommended|appreciated|well packaged|nicely packaged|yay"),
    **terms(0.3, "no problem|no problems"),
    **terms(0.2, "fine|that's fine|it's fine"),
    **terms(0.4, "decent|fair|works|cheap price|affordable|love how|love that|love it when"),
}

POSITIVE.update(
    {
        **terms(0.9, "can't thank you enough|above and beyond|went above and beyond|made my day"),
        **terms(0.8, "godsend|game changer|like a charm|works like a charm|like a dream|spot on"),
        **terms(
            0.8, "stellar|terrific|fabulous|phenomenal|first class|first-rate|obsessed|ecstatic"
        ),
        **terms(0.8, "exactly what i was looking for|just what i was looking for|love love love"),
        **terms(
            0.7, "well worth|good value|great value|value for money|bang for the buck|a pleasure"
        ),
        **terms(
            0.7, "hassle-free|hassle free|painless|effortless|smooth transaction|happy customer"
        ),
        **terms(0.7, "arrived safely|arrived safe|perfect condition|great condition|high quality"),
        **terms(
            0.7, "happy camper|true to size|fits true to size|so pretty|adorable|superb service"
        ),
        **terms(0.6, "prompt|promptly|responsive|courteous|polite|professional|knowledgeable"),
        **terms(
            0.6, "attentive|accommodating|understanding|generous|thoughtful|cozy|durable|premium"
        ),
        **terms(
            0.6, "go-to|my go to|good condition|on point|sweet|soft|impressive quality|nicely done"
        ),
        **terms(0.4, "does the job|as expected|fair solution|reasonable|worth"),
    }
)

# Thanks-type words: positive alone, mere politeness at the end of a request or question.
POLITE: dict[str, float] = {
    **terms(0.7, "thank you so much|thanks so much|thanks a million|many thanks|much appreciated"),
    **terms(0.6, "really appreciate|really appreciate it|appreciate it|appreciate your help"),
    **terms(
        0.5, "thanks|thank you|thank u|cheers|appreciate|grateful|thanks a lot|thanks a lot for"
    ),
}

NEGATIVE: dict[str, float] = {
    **terms(-0.9, "worst|scam|scammers|fraud|fraudulent|rip off|rip-off|ripoff|thieves|liars"),
    **terms(-0.9, "thanks for nothing|never again|never buying|never ordering|never shopping"),
    **terms(-0.9, "furious|disgusting|pathetic|unacceptable|chargeback|lawyer|legal action"),
    **terms(-0.9, "shit|shitty|fuck|fucking|fucked|wtf|ffs|bullshit|this is how you treat"),
    **terms(-0.8, "terrible|horrible|awful|useless|worthless|garbage|trash|junk|crap|crappy"),
    **terms(-0.8, "nightmare|disaster|disgrace|ridiculous|absurd|angry|hate|hated|sucks|lousy"),
    **terms(-0.8, "not happy|not satisfied|very disappointed|so disappointed|fed up|sick of"),
    **terms(-0.8, "false advertising|misleading|stolen|counterfeit|report you|dispute|bbb"),
    **terms(-0.7, "disappointed|disappointing|disappointment|frustrated|frustrating|upset"),
    **terms(-0.7, "annoyed|annoying|pissed|mad|tired of|regret|waste of money|waste of time"),
    **terms(-0.7, "defective|faulty|broken|broke|damaged|smashed|crushed|shattered|fake"),
    **terms(-0.7, "not working|doesn't work|does not work|didn't work|stopped working"),
    **terms(-0.7, "never worked|won't turn on|won't charge|won't work|stopped charging"),
    **terms(-0.7, "fell apart|came apart|falls apart|falling apart|snapped|broke off"),
    **terms(-0.7, "expired|rotten|moldy|mouldy|spoiled|stale|rude|unprofessional|incompetent"),
    **terms(-0.7, "never arrived|never received|never came|never showed up|never got"),
    **terms(-0.7, "not what i ordered|not as described|not as advertised|not as pictured"),
    **terms(-0.7, "charged twice|double charged|charged me twice|overcharged|money back"),
    **terms(-0.7, "refund denied|refund rejected|refund refused|joke|what a joke|you people"),
    **terms(-0.7, "still waiting|still no|still nothing|still haven't|still hasn't|still not"),
    **terms(-0.7, "done waiting|i'm done|i am done|give up|ignored|ignoring|being ignored"),
    **terms(-0.6, "bad|poor|slow|late|delayed|delay|delays|lost|losing|missing|wrong"),
    **terms(-0.6, "cracked|scratched|scratches|torn|ripped|stained|leaking|leaked|soaked"),
    **terms(-0.6, "dented|shrank|shrunk|flimsy|cheaply made|feels cheap|looks cheap"),
    **terms(-0.6, "mess|messed up|screwed up|ugh|smh|seriously|unbelievable|can't believe"),
    **terms(-0.6, "forever|took forever|taking forever|no response|no reply|no answer"),
    **terms(-0.6, "no one|nobody|no update|no updates|hasn't updated|not updated|copy-paste"),
    **terms(-0.6, "copy paste|canned response|same answer|same reply|same issue|same problem"),
    **terms(-0.6, "backorder|backordered"),
    **terms(-0.6, "keeps crashing|crashing|crashes|glitchy|buggy|error|errors|sick|rash"),
    **terms(
        -0.6,
        "complain|complaint|problem again|issue again|"
        "hopeless|mislabeled|disappeared|vanished|stuck",
    ),
    **terms(-0.5, "still pending|still processing|still in transit|still stuck|still showing"),
    **terms(-0.5, "meh|so so|so-so|cheap material|cheap fabric|cheap plastic|thin|stinks|itchy"),
    **terms(-0.5, "problem|issue|problems|issues|confusing|difficult|hard to|doesn't fit"),
    **terms(-0.5, "way off|not great|not good|not ideal|unhelpful|unclear|disappoint"),
    **terms(-0.4, "bot|robot|automated|flickers|flickering|flicker|rejected|denied"),
    **terms(-0.2, "too small|too big|too tight|too loose|too short|too long|too large"),
    **terms(-0.45, "i want a refund|i want my refund|refund now|give me a refund"),
}

NEGATIVE.update(
    {
        **terms(-0.9, "horrendous|atrocious|appalling|abysmal|dreadful|outrageous|livid|outraged"),
        **terms(-0.9, "fuming|seething|disgusted|daylight robbery|extortion|caught fire|dangerous"),
        **terms(-0.9, "food poisoning|attorney|sue you|small claims|trading standards|i demand"),
        **terms(-0.8, "shoddy|subpar|sub-par|inferior|low quality|poor quality|bad quality"),
        **terms(-0.8, "knock-off|knockoff|knock off|deceptive|lied|lying|liar|cheated|robbed"),
        **terms(-0.8, "dismissive|condescending|clueless|unresponsive|careless|sloppy|negligent"),
        **terms(-0.8, "irresponsible|embarrassing|shameful|irritated|exasperated|dissatisfied"),
        **terms(-0.8, "displeased|gutted|heartbroken|devastated|ruined|rubbish|nonsense|bs|fml"),
        **terms(-0.8, "radio silence|crickets|left on read|ghosted|ghosting|heard nothing"),
        **terms(
            -0.8, "going in circles|run around|runaround|getting nowhere|got nowhere|bad review"
        ),
        **terms(-0.8, "negative review|empty box|empty package|unsafe|hazard|allergic reaction"),
        **terms(-0.7, "unhappy|sad|regretting|wasted|pointless|overpriced|not worth|hidden fees"),
        **terms(-0.7, "overheats|overheating|overheated|burning smell|mold|bugs|insects|melted"),
        **terms(-0.7, "missing parts|missing pieces|parts missing|incomplete|uncomfortable|argh"),
        **terms(-0.7, "no word|haven't heard|have not heard|didn't hear|not heard|too long|ages"),
        **terms(-0.7, "returned to sender|return to sender|for no reason|unhelpful|unsubscribe"),
        **terms(-0.6, "irritating|squashed|bent|scuffed|faded|pilling|frayed|unraveling|holes"),
        **terms(-0.6, "hole in|mismatched|doesn't match|does not match|different from the picture"),
        **terms(-0.6, "wobbly|unstable|blurry|noisy|leaks|dirty|used item|clearly used|secondhand"),
        **terms(-0.6, "second-hand|fingerprints|hair in|charged extra|extra charge|grr|yikes"),
        **terms(-0.6, "cancel my account|escalate|demand|overcharge|misleading info|mislabelled"),
        **terms(-0.5, "stains|dust|dusty|tiny|way smaller|much smaller|come on|sigh|jeez|geez"),
        **terms(
            -0.5, "hurry up|price drop|spam|doesn't apply|didn't apply|not applied|wasn't applied"
        ),
        **terms(-0.9, "scammed|got scammed|not acceptable|hung up on me"),
        **terms(
            -0.7, "zero replies|zero response|no replies|no responses|hung up|anyone competent"
        ),
        **terms(-0.55, "really?|still says|label created|just wow"),
        **terms(-0.7, "done with|so done|now what|unreal|exhausting|exhausted"),
        **terms(-0.8, "last straw|final straw|had enough|i've had it|enough is enough|fed up with"),
        **terms(-0.6, "impossible to|making it impossible|someone else's|wrong order"),
        **terms(
            -0.3, "out of stock|sold out|urgent|urgently|immediately|asap|bruh|right now|oversold"
        ),
    }
)

# Strong sarcasm markers flip praise on their own.
SARCASM: dict[str, float] = terms(
    -0.8, "yeah right|oh joy|/s|thanks a bunch|... not|...not|it's not like i|not like i need"
)

# Weak markers only flip praise when a complaint is also present ("Wow, amazing service, ...").
SARCASM_WEAK: frozenset[str] = words(
    "wow|oh|sure|of course|apparently|what a|amazing job|"
    "fantastic job|oh great|oh perfect|oh wonderful|"
    "oh fantastic|take your time|just great|just perfect|"
    "just lovely|just what i needed|just what i wanted"
)

CONTEXTUAL: dict[str, float] = {"lol": 0.3, "lmao": 0.3}

# Weight-0 phrases that hide a cue ("i'd like" ⊃ "like", "no problem" ⊃ "problem").
SHADOW: frozenset[str] = words(
    "i'd like|would like|like to|looks like|look like|feel like|like this|like that|"
    "not sure|no idea|no worries|no rush|no hurry|no need|not yet sure|is it ok|is that ok|"
    "problem with my order|any problem|what's the problem|good morning|good afternoon|"
    "good evening|good day|good night|best way|the best way|best option|best time|appreciate it if|"
    "would appreciate it if|would be nice if|would be great if|best regards|kind regards|regards|"
    "best wishes|fine print|fair enough|return policy|wrong address|the wrong address|"
    "thank you in advance|thanks in advance|in advance|sorry to bother|sorry|bad weather|"
    "error code|late fee|pending status|no problem at all|"
    "late delivery fee|quick question|a quick question|just a quick question|easy way|"
    "cheap option|any issues|any issue|the issue is|fast track|a bit late to|order status"
)

NEGATORS: frozenset[str] = words(
    "not|no|never|don't|doesn't|didn't|isn't|wasn't|aren't|weren't|won't|can't|cannot|"
    "couldn't|shouldn't|wouldn't|hasn't|haven't|hadn't|nothing|none|neither|nor|without|"
    "hardly|barely|ain't|lack|lacks|lacking"
)

INTENSIFIERS: dict[str, float] = {
    **terms(1.6, "extremely|incredibly|absolutely|completely|totally|utterly|beyond|insanely"),
    **terms(1.6, "very very|really really|freaking|bloody|damn|super duper"),
    **terms(1.4, "very|so|soo|really|super|truly|highly|such|such a|way too|too|most|ever"),
    **terms(1.4, "at all|whatsoever|literally|genuinely|honestly|deeply|terribly"),
    **terms(1.2, "pretty|quite|rather|even|just|real"),
}

DOWNTONERS: dict[str, float] = terms(
    0.5, "a bit|a little|slightly|somewhat|a tad|mildly|sort of|kind of|kinda|a little bit|bit"
)

CONTRAST: frozenset[str] = words("but|however|though|although|except|even so")

CONDITIONAL: frozenset[str] = words(
    "if|what if|in case|what happens if|should it|suppose|assuming|unless|whether"
)

CONDITIONAL_POST: frozenset[str] = frozenset()

REPETITION: frozenset[str] = words(
    "again|another|once again|yet again|second time|third time|fourth time|fifth time|"
    "every time|each time|multiple times|several times|many times|countless times|"
    "third email|second email|third message|second message|as i said|as i mentioned|"
    "as i already said|as i told you|like i said|for the last time"
)

NEG_PATTERNS: list[tuple[str, float]] = [
    (
        r"(?<!to )(?:hasn't|has not|haven't|have not|"
        r"hadn't|didn't|did not|not|still not|never|isn't|"
        r"is not)"
        r"(?: yet)?(?: been| even)?"
        r" (?:shipped|ship|arrived|arrive|received|receive|delivered|deliver|refunded|"
        r"processed|updated|update|answered|responded|replied|dispatched|sent|come|came|here)",
        -0.75,
    ),
    (
        r"(?:where(?:'s| is| the hell is| tf is)) my (?:refund|order|package|parcel|money|stuff"
        r"|item|delivery|shipment|replacement)",
        -0.6,
    ),
    (
        r"(?:says|shows|showing|marked|marked as|listed as|status says) (?:it was |as )?delivered"
        r"(?: but| and)",
        -0.8,
    ),
    (r"(?:been )?wait(?:ed|ing)(?: for)?(?: over| almost| nearly| more than)? " + _DUR, -0.7),
    (r"(?:it's|it has|it's already|it has already|its) been " + _DUR, -0.6),
    (r"(?:took|takes|take|taking)(?: over| almost| nearly| more than)? " + _DUR, -0.45),
    (_DUR + r" (?:and|later|now|already|late|overdue)", -0.5),
    (
        r"(?:sent|shipped|gave|give|delivered|got|received|"
        r"receive|brought)(?: me| us)? (?:the |a )?"
        r"wrong " + _ITEM,
        -0.7,
    ),
    (
        r"(?:ordered|bought|paid for) (?:a |an |"
        r"the )?[a-z0-9 -]{1,20} (?:and|but) (?:got|received)",
        -0.6,
    ),
    (r"supposed to (?:arrive|be here|take|come|ship|be delivered|get here)", -0.45),
    (
        r"(?:why|how come)(?: does| do| is| did| has| have)? (?:it|this|that|you|my)"
        r"(?: take| taking| so| still| keep| always| never)",
        -0.6,
    ),
    (r"why is (?:it|this) so (?:hard|difficult)", -0.8),
    (r"how (?:hard|difficult) (?:is it|can it be)", -0.8),
    (r"is it (?:too much|so hard) to ask", -0.8),
    (r"would it kill", -0.8),
    (r"any ?time now", -0.5),
    (r"for once", -0.5),
    (
        r"(?:someone|anyone|somebody|you|they|people) (?:to )?actually "
        r"(?:reply|replied|respond|responded|answer|answered|help|helped|read|do|did|fix|care|"
        r"listen|call|get back)",
        -0.8,
    ),
    (
        r"(?:nobody|no one|noone|no-one) (?:has |had |is |ever )?(?:tells?|told|repl(?:y|ies|ied)|"
        r"answers?|answered|responds?|responded|helps?|helped|cares?|cared|mentioned|contacted|"
        r"bothered|called|got back|seems to)",
        -0.75,
    ),
    (
        r"(?:is|will) (?:anyone|anybody|someone) (?:actually |ever )?(?:going to|gonna) "
        r"(?:help|reply|answer|respond|fix)",
        -0.7,
    ),
    (r"(?:should|do) i (?:just )?give up", -0.7),
    (
        r"(?:had|have|having|need|needed) to (?:wait|chase|call|email|ask|beg|contact|keep asking|"
        r"follow up|remind)",
        -0.5,
    ),
    (
        r"(?:taking|takes|take|took|been|waited|waiting|wait)(?: way| far| so| much| a bit)? "
        r"(?:too long|so long|ages|a long time|forever)",
        -0.6,
    ),
    (
        r"(?:asked|requested|applied|emailed|wrote|called)(?: for)?(?: a| my| the)?"
        r"(?: \w+){0,4} (?:and|but) (?:heard|got|"
        r"received) (?:nothing|no (?:reply|response|answer))",
        -0.8,
    ),
    (
        r"(?:appreciate it|be nice|be great|help) if (?:someone|"
        r"anyone|you|somebody|you guys|your team)"
        r"(?: could| would)?(?: actually| finally| at least|"
        r" for once)? (?:repl|respond|answer|help|"
        r"get back|got back|read|look|call|fix|sort)",
        -0.6,
    ),
    (
        r"(?:someone|anyone|somebody) (?:who|that) (?:actually |really )?(?:knows|understands|can "
        r"actually|cares|is competent)",
        -0.6,
    ),
    (
        r"what (?:kind|sort) of (?:service|shop|store|company|support|product|business|joke|"
        r"customer service) is this",
        -0.7,
    ),
    (
        r"never (?:received|got) (?:a|the|my|any) (?:confirmation|"
        r"email|e-mail|code|receipt|invoice|"
        r"link|sms|text|notification)",
        -0.3,
    ),
    (
        r"(?:i've|i have|i've been|i have been) (?:been )?(?:more than |very |extremely )?patient",
        -0.6,
    ),
    (r"even though i (?:updated|told|asked|paid|said|changed|requested|specified)", -0.6),
    (
        r"(?:are you|you've got to be|you have got to be|you must be) (?:kidding|joking|serious)",
        -0.8,
    ),
    (r"what(?:'s| is| the hell is| on earth is) (?:going on|happening|taking so long)", -0.5),
    (r"what(?:'s| is) the (?:hold ?up|delay)", -0.6),
    (r"(?:left|dumped|threw|thrown|tossed) (?:my |the )?(?:package|parcel|box|order)", -0.5),
    (
        r"(?:nothing|none) (?:like|close to) (?:the |what )?(?:picture|photo|image|description|ad"
        r"|advert|advertised|shown|pictured|listing)s?",
        -0.8,
    ),
    (r"looks nothing like", -0.8),
    (r"(?:charged|billed|took my money)(?: me)? but", -0.7),
    (
        r"(?:cancel|cancelled|canceled)(?: my)?(?: order)? (?:everything|it all|my account|my "
        r"subscription)",
        -0.5,
    ),
    (r"(?:got|was|been|were) (?:cancelled|canceled)", -0.5),
    (
        r"(?:processing|pending|in transit|"
        r"stuck|sitting|waiting|on hold)\"?(?: for)?(?: over| almost)? " + _DUR,
        -0.6,
    ),
    (r"(?:was|is|were|are|went) (?:gone|missing|empty)", -0.6),
    (
        r"(?:box|package|parcel|seal|bag) (?:was |is |arrived |"
        r"came )?(?:open|opened|torn open|ripped open)",
        -0.5,
    ),
    (
        r"(?:delivered|sent|shipped|went|gone|taken) to (?:the |"
        r"a )?wrong (?:address|house|person|place"
        r"|city|door|building)",
        -0.7,
    ),
    (_DUR_N + r"[- ](?:day|week|month|hour)s? wait", -0.5),
    (
        r"(?:smells?|smelled|smelt|stinks?) (?:bad|awful|weird|funny|strange|off|terrible|horrible|"
        r"musty|moldy|like chemicals|like plastic|like smoke|like gas|burnt)",
        -0.6,
    ),
    (
        r"(?:tracking|it|status|the site|the app)(?: still)? (?:says|shows|showing|is showing) "
        r"(?:label created|pre-transit|pending|processing|not shipped)",
        -0.6,
    ),
    (
        r"why (?:am i|was i|are you|is it|do i|did i|have i|are we)(?: being| been| still)? "
        r"(?:charged|billed|paying|waiting|getting|told|ignored|sent|asked)",
        -0.6,
    ),
    (
        r"(?:" + _DUR_N + r"|another) (?:more )?(?:days?|weeks?|months?|hours?) of "
        r"(?:waiting|delays?|silence|excuses)",
        -0.7,
    ),
    (
        r"(?:wouldn't|would not|won't|will not|never going to|not going to|not gonna|never gonna) "
        r"(?:ever )?(?:buy|order|purchase|shop|recommend|use|come back|return)",
        -0.8,
    ),
    (
        r"not (?:the )?(?:quality|product|item|size|colou?r|one|thing|service|experience|what) i "
        r"(?:expected|ordered|paid for|wanted|was promised|was told|hoped for)",
        -0.7,
    ),
    (r"so (?:i'm|i am|we're|we are) (?:just )?supposed to", -0.6),
    (
        r"without (?:fixing|resolving|solving|answering|helping|replying|responding|reading|"
        r"explaining|telling)",
        -0.6,
    ),
    (r'"[^"]{1,30}" (?:means|apparently means|is code for|=)', -0.6),
    (
        r"without (?:any |a |prior |an )?(?:notice|warning|explanation|reason|notification|reply)",
        -0.6,
    ),
    (r"(?:there's|there is|there was) nothing (?:at|in|here|there|inside)", -0.6),
    (
        r"(?:i'll|i will|i'm going to|gonna) (?:be )?(?:file|filing|report|reporting|leave|leaving|"
        r"post|posting|write|writing) (?:a )?(?:chargeback|dispute|complaint|review|bad review|"
        r"one star|1 star|this)",
        -0.8,
    ),
    (r"(?:one|1|zero|0)[ -]star", -0.8),
    (
        r"(?:don't|do not|didn't|did not|doesn't|does not) (?:fit|match|close|open|turn on|charge|"
        r"last|hold)",
        -0.5,
    ),
    (r"(?:never|not) (?:buying|ordering|shopping|coming back|recommending|using)", -0.8),
    (r"(?:waste|wasted) (?:of )?(?:my )?(?:money|time)", -0.7),
    (
        r"(?:keep|keeps|kept) (?:sending|telling|saying|giving|asking|crashing|failing|breaking|"
        r"closing|cancelling|canceling|ignoring|losing|"
        r"rejecting|denying|changing|delaying|pushing)",
        -0.5,
    ),
    (
        r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) (?:time|email|message|call|request)"
        r" (?:i'm |i am |i have |i've )?(?:asking|writing|contacting|emailing|calling|requesting)",
        -0.6,
    ),
    (
        r"(?:this|that) is (?:my|the) (?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) "
        r"(?:time|email|message|call|request)",
        -0.6,
    ),
]

POS_PATTERNS: list[tuple[str, float]] = [
    (
        r"(?:smells?|smelled|tastes?|tasted|looks?|looked|"
        r"feels?|felt|sounds?) (?:so |really |very )?"
        r"(?:amazing|great|good|lovely|nice|wonderful|divine|fresh|delicious|fantastic|perfect)",
        0.7,
    ),
    (
        r"will (?:definitely |surely |certainly |100% )?(?:order|buy|shop|be back|come back|"
        r"purchase|recommend)(?: here| from you)?(?: again)?",
        0.7,
    ),
    (
        r"(?:arrived|came|got here|delivered)(?: a| one| two| 2| 1)? (?:day|days) (?:early|ahead)",
        0.7,
    ),
    (
        r"(?:better|nicer|bigger|softer) than (?:the )?(?:photos?|pictures?|expected|i expected|"
        r"described)",
        0.7,
    ),
    (
        r"(?:thanks|thank you|thx)(?: so much| a lot|"
        r" very much)? for (?:the |your |all your |all the )?"
        r"(?:quick|fast|speedy|prompt|great|help|support|patience|fixing|sorting|resolving|solving|"
        r"refund|assistance|update|info|information|replacement|gift)",
        0.7,
    ),
    (
        r"(?:quality|service|support|packaging|delivery|shipping) (?:is|was) (?:great|excellent|"
        r"amazing|top notch|awesome|perfect|good|fantastic)",
        0.7,
    ),
    (r"(?:you|you guys|y'all) (?:are|were) (?:the best|awesome|amazing|great|stars|legends)", 0.8),
]

SHADOW_PATTERNS: list[str] = [
    r"i (?:ordered|picked|chose|selected|bought|entered|typed|put|gave|placed) (?:the |a )?wrong",
    r"(?:if|in case|what if|should) (?:it|the \w+|my \w+|they|anything)"
    r" (?:is|are|arrives?|comes?|gets?|was|were) (?:damaged|broken|lost|late|wrong|missing)",
]

QUESTION_PATTERNS: list[str] = [
    # Ends in "?" and non-word characters. Tried only where a non-word run starts, and the
    # first "?" of the run is final (atomic): "?" × 2,000 then a letter is one pass, not
    # one scan to the end per "?".
    r"(?:^|(?<=\w))(?>\W*?\?)\W*+$",
    r"^(?:hi|hello|hey)?[ ,!.]*(?:how|when|where|what(?! an? )|which|who)\b",
    r"^(?:hi|hello|hey)?[ ,!.]*(?:can|could|do|does|did|is|are|will|would|should|may|might|any)"
    r" (?:i|you|we|it|this|that|these|those|there|my|the|your|they|he|she|a|an|any|someone|anyone"
    r"|anybody|somebody|u|ya)\b",
]

REQUEST_PATTERNS: list[str] = [
    r"\b(?:please|pls|can you|could you|would you|kindly|i'd like|i would like|i need|i want"
    r"|help me|let me know)\b",
]

ACK_PATTERNS: list[str] = [
    r"^(?:ok|okay|k|noted|got it|alright|all right|"
    r"sure|understood|will do|roger|fine)(?:[,.!\s]|$)",
    r"\b(?:will do|no need|don't need|do not need|no thanks|no thank you|no worries|no rush)\b",
]

POLICY_QUESTION_PATTERNS: list[str] = [
    r"\b(?:can|could|may) i (?:return|exchange|swap|get a refund|get a replacement|send it back)",
    r"\b(?:how do i|how can i|how to) (?:return|exchange|get a refund|claim)",
]

RESOLUTION_PATTERNS: list[str] = [
    r"\b(?:sorted|resolved|fixed|solved|replacement (?:works|arrived|is)|got my refund|"
    r"refund (?:came|arrived|went) through|finally (?:arrived|came|got)|all good now|works now)\b",
]
