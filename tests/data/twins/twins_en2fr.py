# French twins of the English development cases (executed by build.py).
LIV = "liver"

case("g-en-01", "fr", "no_followup", "R1",
     "Granulome calcifié unique de 5 mm chez un adulte apyrétique au bilan hépatique normal ; la douleur de l'hypochondre droit n'est que l'indication (R1 corrigée), et le compte rendu conclut à l'absence de surveillance.",
     """ÉCHOGRAPHIE ABDOMINALE COMPLÈTE
Indication : douleurs de l'hypochondre droit depuis 15 jours. Bilan hépatique normal. Apyrétique.
Comparaison : aucune.
Technique : échographie mode B et Doppler couleur, patient à jeun.
Résultats :
Foie : flèche de 14,8 cm, échostructure normale, contours réguliers. ⟦Image hyperéchogène⟧ de 5 mm du segment VII avec cône d'ombre postérieur franc, sans halo ni masse au pourtour. Il s'agit d'un ⟦granulome calcifié⟧. Flux porte hépatopète.
Vésicule : paroi fine (2 mm), alithiasique, pas de sludge. Murphy échographique négatif.
Voies biliaires : VBP de 3 mm. Pas de dilatation des VBIH.
Pancréas : tête et corps sans particularité, queue masquée par les gaz digestifs.
Rate : 10,2 cm, homogène.
Rein droit : 10,8 cm, pas de dilatation des cavités pyélocalicielles.
Conclusion :
1. Pas de cause échographique aux douleurs de l'hypochondre droit.
2. ⟦Granulome calcifié⟧ du segment VII de découverte fortuite, bénin. Pas de surveillance nécessaire.""",
     [F(LIV, size=5, count="single", site="segment_VII"),
      F(LIV, count="single"),
      F(LIV, count="single", site="segment_VII")])

case("g-en-03", "fr", "urgent", "R5",
     "Cancer de l'ovaire connu avec plusieurs nouvelles lésions hépatiques calcifiées jusqu'à 23 mm : branche « multiples / ≥ 10 mm » de R5, urgente.",
     """TDM ABDOMINO-PELVIENNE AVEC INJECTION
Renseignements : patiente de 59 ans, carcinome séreux de haut grade de l'ovaire, chirurgie de cytoréduction puis 6 cures de carboplatine-paclitaxel terminées en octobre 2024. Remontée du CA 125 (88 U/mL).
Comparaison : TDM de janvier 2025.
Résultats :
Foie : apparition de trois lésions hépatiques à ⟦calcification⟧ périphérique : sous-capsulaire du segment VI de 23 mm, segment VIII de 14 mm et segment III de 9 mm. Nouvelle lésion hypodense non ⟦calcifiée⟧ de 7 mm du segment II. Voies biliaires non dilatées.
Péritoine : nouveaux implants ⟦calcifiés⟧ de la gouttière pariéto-colique droite et du récessus de Morison, le plus volumineux de 18 mm. Ascite de faible abondance.
Pelvis : remaniements post-opératoires. Pas de masse pelvienne.
Rate, pancréas, surrénales, reins : sans particularité.
Conclusion :
1. Récidive du carcinome ovarien avec nouvelles métastases hépatiques ⟦calcifiées⟧ (la plus volumineuse de 23 mm, segment VI) et nouveaux implants péritonéaux ⟦calcifiés⟧.
2. Nouvelle lésion non ⟦calcifiée⟧ de 7 mm du segment II, également suspecte.
Avis oncologique gynécologique en urgence.""",
     [F(LIV, size=23, count=3, pattern="rim"),
      F(LIV, neg=True, note="French 'non calcifiée' is two words: anchor is 'calcifiée' (negated), where the English source has 'noncalcified'."),
      F("other", size=18, count="multiple", detail="peritoneal implants"),
      F(LIV, size=23, count="multiple"),
      F("other", count="multiple", detail="peritoneal implants"),
      F(LIV, neg=True)])

case("g-en-05", "fr", "surveillance", "R7",
     "Kyste CE5 entièrement calcifié, non compliqué et stable, avec une attitude d'abstention-surveillance explicite (R7 branche inactive, R0) ; la règle de taille > 10 mm de R2 ne vise pas un kyste hydatique stadifié.",
     """ÉCHOGRAPHIE ABDOMINALE
Indication : éleveur de moutons sarde de 63 ans, kyste hydatique hépatique traité par albendazole en 2015. Contrôle. Asymptomatique.
Comparaison : échographie de juin 2022 ; TDM de 2019.
Résultats :
Foie : au segment VI, lésion de 42 x 38 mm à paroi épaisse entièrement ⟦calcifiée⟧, responsable d'un arc dense avec large cône d'ombre postérieur (aspect en coquille d'œuf) ; contenu non analysable. Taille et aspect inchangés depuis 2022. Pas d'autre lésion hépatique. Voies biliaires fines.
Rate : 10 cm, pas de kyste.
Reins : normaux.
Conclusion : kyste hydatique totalement ⟦calcifié⟧ du segment VI, stade CE5 de l'OMS (inactif), stable. Pas d'indication thérapeutique ; abstention et surveillance échographique à 12 mois.""",
     [F(LIV, size=42, count="single", site="segment_VI", pattern="rim"),
      F(LIV, count="single", site="segment_VI")])

case("g-en-07", "fr", "no_followup", "R24",
     "Calcification curviligne infracentimétrique au site d'une lacération connue de 2012, sans masse : séquelle post-traumatique (R24).",
     """TDM ABDOMINALE SANS ET AVEC INJECTION (PROTOCOLE SURRÉNALIEN)
Renseignements : femme de 34 ans, nodule surrénalien droit de 14 mm sur une imagerie antérieure. Antécédent de lacération hépatique (accident de moto en 2012) traitée de façon conservatrice.
Comparaison : pas d'examen antérieur disponible.
Résultats :
Surrénales : nodule surrénalien droit de 14 mm, de densité spontanée à -5 UH : adénome riche en lipides. Surrénale gauche normale.
Foie : au segment VI, en regard de l'ancienne lacération, une fine ⟦calcification⟧ curviligne de 9 mm, sans masse, collection ni prise de contraste associée. Reste du foie normal.
Par ailleurs : vésicule, rate, pancréas et reins sans particularité.
Conclusion :
1. Adénome surrénalien droit riche en lipides ; pas de contrôle nécessaire.
2. ⟦Calcification⟧ hépatique post-traumatique du segment VI, séquelle de la lacération de 2012, bénigne.""",
     [F(LIV, size=9, count="single", site="segment_VI", pattern="curvilinear"),
      F(LIV, count="single", site="segment_VI")])

case("g-en-09", "fr", "workup", "R11",
     "Calcifications hépatiques fœtales à 21 SA : sérologies TORCH/parvovirus et conseil génétique pour le caryotype (R11).",
     """ÉCHOGRAPHIE OBSTÉTRICALE DU DEUXIÈME TRIMESTRE (MORPHOLOGIQUE)
Terme : 21 SA + 3 j selon la DDR, concordant avec l'échographie du premier trimestre. Grossesse monofœtale évolutive, présentation céphalique.
Indication : échographie morphologique systématique. G2P1, 31 ans.
Biométrie : BIP, PC, PA et LF concordants ; EPF 410 g (45e percentile). Liquide amniotique normal. Placenta postérieur, non bas inséré.
Morphologie : anatomie intracrânienne, face, rachis et cœur (4 cavités, voies d'éjection) normaux. Deux ⟦foyers hyperéchogènes⟧ de 2 et 3 mm du lobe droit du foie fœtal avec discret cône d'ombre, correspondant à des ⟦calcifications⟧ parenchymateuses hépatiques. Pas de ⟦calcification⟧ péri-hépatique ni péritonéale, pas d'ascite, intestin non hyperéchogène. Estomac, reins et vessie normaux.
Conclusion : ⟦calcifications⟧ parenchymateuses hépatiques fœtales isolées (au nombre de 2). Sérologies maternelles (CMV, toxoplasmose, parvovirus B19), consultation de génétique avec proposition d'amniocentèse, et échographie de contrôle à 28 SA.""",
     [F(LIV, size=3, count=2, site="right_lobe"),
      F(LIV, size=3, count=2, site="right_lobe"),
      F("other", neg=True, detail="perihepatic / peritoneal"),
      F(LIV, count=2)])

case("g-en-11", "fr", "urgent", "R12",
     "Masse hépatique calcifiée chez un enfant de 20 mois : filière hépatoblastome (R12).",
     """TDM ABDOMINO-PELVIENNE AVEC INJECTION (PROTOCOLE PÉDIATRIQUE BASSE DOSE)
Renseignements : garçon de 20 mois, masse abdominale droite palpée par sa mère, difficultés alimentaires. AFP en cours.
Résultats : volumineuse masse hétérogène développée aux dépens du lobe droit du foie, de 96 x 82 x 80 mm, à rehaussement hétérogène, avec zones nécrotiques et ⟦calcifications⟧ grossières. Refoulement de la VCI vers la gauche ; branche portale droite engainée mais perméable. Lobe gauche normal. Pas d'adénopathie. Pas d'ascite. Reins et surrénales normaux. Bases pulmonaires libres.
Conclusion : volumineuse masse hépatique droite ⟦calcifiée⟧ chez un enfant de 20 mois : hépatoblastome jusqu'à preuve du contraire. Avis en oncologie pédiatrique en urgence ; dosage de l'AFP et TDM thoracique pour le bilan d'extension (PRETEXT).""",
     [F(LIV, size=96, count="multiple", site="right_lobe", pattern="coarse"),
      F(LIV, count="single", site="right_lobe")])

case("g-en-13", "fr", "no_followup", "R25",
     "Quatre petits granulomes spléniques punctiformes chez une patiente asymptomatique (R25) ; la calcification hépatique est niée et les calcifications vasculaires et pelviennes sont hors champ.",
     """URO-TDM
Renseignements : femme de 61 ans, hématurie microscopique, ancienne fumeuse.
Technique : acquisitions sans injection, au temps néphrographique et au temps excrétoire.
Résultats :
Reins et uretères : pas de dilatation des cavités. Pas de calcul rénal ni urétéral. Pas de masse rénale rehaussée. Bonne opacification des uretères, sans lacune.
Vessie : paroi normale, pas de lacune.
Foie : pas de lésion focale ni de ⟦calcification⟧.
Rate : quatre ⟦granulomes calcifiés⟧ punctiformes, jusqu'à 4 mm.
Pelvis : quelques ⟦phlébolithes⟧.
Vaisseaux : athérome ⟦calcifié⟧ modéré de l'aorte abdominale et des artères iliaques communes.
Conclusion :
1. Pas de lésion urothéliale ni de lithiase urinaire.
2. ⟦Granulomes calcifiés⟧ spléniques de découverte fortuite.""",
     [F(LIV, neg=True),
      F("spleen", size=4, count=4, pattern="punctate"),
      F("other", count="multiple", detail="pelvic veins"),
      F("other", detail="abdominal aorta and common iliac arteries"),
      F("spleen", count="multiple")],
     note="'lithiase urinaire' is not hepatobiliary, so it is not annotated.")

case("g-en-15", "fr", "surveillance", "R5",
     "Primitif colorectal connu, calcification pure unique de 5 mm stable sur deux examens antérieurs : branche « petite/stable » de R5 (haut risque ACR < 1 cm, contrôle à 3-6 mois).",
     """TDM THORACO-ABDOMINO-PELVIENNE AVEC INJECTION
Renseignements : adénocarcinome du rectum stade III, radiochimiothérapie néoadjuvante puis résection antérieure en 2023. Surveillance systématique. ACE normal.
Comparaison : TDM TAP d'août 2024 et de février 2024.
Résultats :
Thorax : pas de nodule pulmonaire. Pas d'adénopathie médiastinale.
Foie : la ⟦calcification⟧ de 5 mm du dôme hépatique (lobe droit) est inchangée par rapport aux deux examens antérieurs, sans hypodensité ni prise de contraste au pourtour. Pas de nouvelle lésion hépatique.
Rate, pancréas, surrénales, reins : sans particularité.
Pelvis : remaniements de résection antérieure, anastomose sans anomalie. Pas de tissu présacré. Pas d'adénopathie pelvienne.
Conclusion :
1. Pas d'argument pour une récidive locale ou à distance.
2. ⟦Calcification⟧ hépatique stable de 5 mm du dôme. Compte tenu des antécédents carcinologiques, une IRM hépatique ou une attention particulière lors de la TDM de surveillance à 3-6 mois est proposée.""",
     [F(LIV, size=5, site="dome"),
      F(LIV, size=5, count="single", site="dome")])

case("g-en-17", "fr", "no_followup", "R1",
     "Possible calcification de 2 mm, hypothétique dans les deux mentions, chez un adulte à bas risque ; le compte rendu conclut à l'absence de contrôle (R1 avec R0).",
     """Échographie abdominale limitée à l'hypochondre droit. Indication : nausées et vomissements depuis 3 jours. Foie de taille et d'échostructure normales. Petit écho brillant de 2 mm du lobe droit avec artéfact en queue de comète, sans cône d'ombre, pouvant correspondre à une minime ⟦calcification⟧. Pas de masse. Vésicule contractée (post-prandiale), pas de calcul visible. VBP 4 mm. Pancréas non vu. Conclusion : possible ⟦calcification⟧ punctiforme du lobe droit du foie, sans conséquence clinique, pas de contrôle nécessaire. Échographie de l'HCD par ailleurs normale.""",
     [F(LIV, unc=True, size=2, count="single", site="right_lobe"),
      F(LIV, unc=True, count="single", site="right_lobe", pattern="punctate")])

case("g-en-19", "fr", "urgent", "R6",
     "Lithiase intracanalaire avec dilatation des voies biliaires, fièvre, ictère et douleur : angiocholite (R6 branche urgente, aussi R20).",
     """ÉCHOGRAPHIE DE L'HYPOCHONDRE DROIT (URGENCES)
Indication : homme de 74 ans, fièvre à 39,2 °C avec frissons, ictère (bilirubine totale 104 µmol/L), douleur de l'HCD. Antécédent de cholécystectomie.
Résultats : dilatation des VBIH des deux lobes, prédominant à gauche (jusqu'à 8 mm). Multiples ⟦images hyperéchogènes⟧ avec cône d'ombre comblant les canaux biliaires gauches, en rapport avec une ⟦lithiase intrahépatique⟧. VBP de 11 mm avec un calcul de 12 mm du bas cholédoque. Parois canalaires épaissies et hyperéchogènes. Pas d'abcès hépatique. Vésicule absente (cholécystectomie). Pas d'épanchement.
Conclusion : ⟦lithiase intrahépatique⟧ gauche et ⟦lithiase⟧ de la VBP avec dilatation biliaire diffuse chez un patient fébrile et ictérique : angiocholite aiguë. Drainage biliaire (CPRE) en urgence.""",
     [F(["biliary", "liver"], count="multiple", site="left_intrahepatic_ducts", pattern="ductal"),
      F(["biliary", "liver"], site="left_intrahepatic_ducts", pattern="ductal",
        note="Added mention: French hepatobiliary 'lithiase' is a mention, the English source's 'intraductal stones' is not; disease noun, count null."),
      F(["biliary", "liver"], site="left_intrahepatic_ducts", pattern="ductal",
        note="Added mention (English 'hepatolithiasis' is not a mention)."),
      F("biliary", site="common_bile_duct",
        note="Added mention (English 'choledocholithiasis' is not a mention); the 12 mm size is in another sentence. 'calcul' is not a mention.")])

case("g-en-21", "fr", "no_followup", "R1",
     "Granulome hépatique calcifié de 4 mm associé à des granulomes pulmonaires et ganglionnaires concordants chez un adulte à bas risque ; les calcifications coronaires et cartilagineuses costales sont hors champ (R1).",
     """TDM THORACIQUE AVEC INJECTION
Indication : toux chronique, ancien fumeur.
Comparaison : aucune.
Résultats :
Poumons : nodule ⟦calcifié⟧ de 5 mm du lobe supérieur gauche, bénin. Pas de nodule pulmonaire non ⟦calcifié⟧. Discret épaississement des parois bronchiques.
Médiastin et hiles : ganglions sous-carinaires et hilaires gauches ⟦calcifiés⟧. Discrète ⟦calcification⟧ coronaire.
Paroi thoracique : ⟦calcification⟧ des cartilages costaux.
Étage abdominal supérieur : ⟦granulome calcifié⟧ de 4 mm du segment VIII. Rate et surrénales visualisées normales.
Conclusion :
1. Discrets signes de bronchite.
2. Séquelles de granulomatose ancienne : nodule du LSG et ganglions ⟦calcifiés⟧, et petit ⟦granulome calcifié⟧ hépatique.""",
     [F("other", size=5, count="single", detail="left upper lobe pulmonary nodule"),
      F("other", neg=True, detail="pulmonary nodule",
        note="'non calcifié' is two words in French: anchor 'calcifié' (negated)."),
      F("other", count="multiple", detail="subcarinal and left hilar lymph nodes"),
      F("other", detail="coronary arteries"),
      F("other", detail="costal cartilage"),
      F(LIV, size=4, count="single", site="segment_VIII"),
      F("other", detail="left upper lobe nodule and lymph nodes"),
      F(LIV, count="single")])

case("g-en-23", "fr", "surveillance", "R21",
     "Cirrhose (haut risque ACR) avec une calcification pure stable depuis 2021 et une AFP normale : R21 maintient le niveau à la surveillance.",
     """IRM HÉPATIQUE (PROTOCOLE DE DÉPISTAGE DU CHC)
Renseignements : cirrhose alcoolique Child-Pugh A, sevrage depuis 2020. AFP 3 ng/mL.
Comparaison : IRM de novembre 2024.
Technique : IRM multiphasique après injection de gadoxétate, avec séquences de diffusion.
Résultats : foie dysmorphique à contours bosselés, hypertrophie du segment I. Pas d'observation hyperartérialisée. Asignal punctiforme de 3 mm du segment II correspondant à une minime ⟦calcification⟧ déjà visible sur la TDM de 2021, inchangé, sans rehaussement. Rate de 13,5 cm. Petites varices para-œsophagiennes. Pas d'ascite. Tronc porte perméable.
Conclusion :
1. Cirrhose avec hypertension portale ; pas d'observation LR-3 ou plus.
2. ⟦Calcification⟧ punctiforme stable du segment II (LR-1).
Poursuite du dépistage par échographie ou IRM dans 6 mois.""",
     [F(LIV, size=3, count="single", site="segment_II", pattern="punctate"),
      F(LIV, count="single", site="segment_II", pattern="punctate")])

case("g-en-25", "fr", "workup", "R10",
     "VIH au stade avancé avec calcifications punctiformes et annulaires multiviscérales (foie, rate, reins, ganglions) : bilan infectieux (R10).",
     """TDM ABDOMINO-PELVIENNE AVEC INJECTION
Renseignements : homme de 38 ans, VIH (CD4 45/µL, sans traitement antirétroviral) ; antécédent de pneumocystose pulmonaire, prophylaxie par pentamidine en aérosols. Diarrhée chronique.
Résultats :
Foie : multiples ⟦calcifications⟧ punctiformes des deux lobes, jusqu'à 3 mm. Pas de masse.
Rate : de taille normale, siège de plusieurs lésions hypodenses à paroi ⟦calcifiée⟧ jusqu'à 12 mm et d'autres ⟦calcifications⟧ punctiformes.
Reins : ⟦calcifications⟧ corticales punctiformes bilatérales.
Ganglions : multiples ganglions rétropéritonéaux et mésentériques ⟦calcifiés⟧.
Tube digestif : discret épaississement pariétal colique diffus.
Conclusion : ⟦calcifications⟧ punctiformes et annulaires multiviscérales (foie, rate, reins, ganglions) chez un patient immunodéprimé sous pentamidine en aérosols : pneumocystose extrapulmonaire en premier lieu, mycobactériose en second. Avis infectiologique. Colite non spécifique.""",
     [F(LIV, size=3, count="multiple", pattern="punctate"),
      F("spleen", size=12, count="multiple", pattern="rim"),
      F("spleen", count="multiple", pattern="punctate"),
      F("other", count="multiple", detail="renal cortex"),
      F("other", count="multiple", detail="retroperitoneal and mesenteric lymph nodes"),
      F(["liver", "spleen"], count="multiple")])

case("g-en-27", "fr", None, "none",
     "Uniquement des calcifications pancréatiques, canalaires pancréatiques, vasculaires et prostatiques (organe other) ; la mention hépatique est niée.",
     """TDM ABDOMINO-PELVIENNE SANS INJECTION
Renseignements : homme de 72 ans, pancréatite chronique alcoolique, épigastralgies et stéatorrhée.
Résultats : pancréas atrophique, siège de ⟦calcifications⟧ grossières de la tête, du corps et de la queue ; canal de Wirsung dilaté à 6 mm contenant des calculs ⟦calcifiés⟧. Pas de collection péripancréatique. Foie : pas de lésion focale, pas de ⟦calcification⟧. Vésicule et voies biliaires normales. Rate normale. Kystes corticaux rénaux simples bilatéraux. Athérome ⟦calcifié⟧ dense de l'aorte et des artères iliaques. Prostate augmentée de volume, siège de ⟦calcifications⟧ grossières.
Conclusion : pancréatite chronique ⟦calcifiante⟧ avec dilatation du canal de Wirsung ; pas de masse visible sur cet examen sans injection.""",
     [F("other", count="multiple", detail="pancreas"),
      F("other", count="multiple", detail="main pancreatic duct stones"),
      F(LIV, neg=True),
      F("other", detail="aorta and iliac arteries"),
      F("other", count="multiple", detail="prostate"),
      F("other", detail="pancreas (chronic calcific pancreatitis)")])

case("g-en-29", "fr", "workup", "R13",
     "Patiente dialysée avec une masse périarticulaire calcifiée, lobulée, d'aspect nuageux, sans destruction osseuse : bilan phosphocalcique d'une calcinose pseudo-tumorale secondaire et avis néphrologique (R13).",
     """RADIOGRAPHIES DE LA HANCHE GAUCHE ET DU BASSIN, 2 INCIDENCES
Renseignements : femme de 47 ans hémodialysée depuis 11 ans (néphropathie diabétique), tuméfaction ferme de la hanche gauche augmentant de volume et gênant la position assise. Calcémie en attente.
Résultats : volumineuse masse des parties molles ⟦calcifiée⟧, lobulée, d'aspect nuageux et multiloculé, en dehors et en arrière du grand trochanter gauche, d'environ 11 x 7 cm. Pas d'érosion ni de destruction du fémur adjacent ; interligne coxo-fémoral préservé. ⟦Calcifications⟧ vasculaires étendues des artères fémorales. Déminéralisation diffuse.
Conclusion : ⟦calcinose⟧ pseudo-tumorale secondaire (urémique) de la hanche gauche chez une patiente dialysée au long cours. Dosage de la calcémie, de la phosphorémie, du produit phosphocalcique et de la PTH ; avis néphrologique.""",
     [F("soft_tissue", size=110, count="single", site="hip", pattern="cloud_like"),
      F("other", count="multiple", detail="femoral arteries"),
      F("soft_tissue", site="hip")])

case("g-en-31", "fr", "no_followup", "R1",
     "Granulome calcifié unique de 7 mm (écrit « calcifé ») chez un adulte à bas risque au bilan hépatique normal ; l'épigastralgie n'est que l'indication (R1 corrigée).",
     """Écho HCD. Homme 39 ans, épigastralgies, BH normal. Foie 15,2 cm, échostructure homogène. Granulome ⟦calcifé⟧ unique de 7 mm du lobe gauche, segment III, avec cône d'ombre franc, sans masse au pourtour. VBIH non dilatées, VBP 3 mm. Vésicule normale, alithiasique. Pancréas masqué par les gaz. Rate normale. Concl : ⟦granulome calcifié⟧ bénin du lobe gauche. Examen par ailleurs normal.""",
     [F(LIV, size=7, count="single", site="segment_III",
        note="Misspelling kept from the source ('calcifed'); as in the source, the misspelt word alone is the anchor."),
      F(LIV, count="single", site="left_lobe")])

case("g-en-33", "fr", "surveillance", "R12",
     "Minime calcification hépatique isolée, sans masse, chez une enfant de 7 ans : la branche enfant de R12 est la surveillance (R1 ne concerne que l'adulte).",
     """ÉCHOGRAPHIE ABDOMINALE PÉDIATRIQUE
Renseignements : fillette de 7 ans, douleurs péri-ombilicales intermittentes. NFS normale.
Résultats : foie de taille et d'échostructure normales. ⟦Foyer hyperéchogène⟧ isolé de 2 mm du segment V avec discret cône d'ombre, correspondant à une ⟦calcification⟧ punctiforme ; pas de masse, pas de dilatation des voies biliaires. Vésicule, pancréas, rate et reins normaux. Plusieurs ganglions mésentériques de la fosse iliaque droite jusqu'à 8 mm de petit axe. Appendice non visualisé ; pas d'épanchement.
Conclusion :
1. Discrète adénomégalie mésentérique, probablement réactionnelle.
2. ⟦Calcification⟧ hépatique punctiforme isolée chez une enfant ; échographie de contrôle à 6 mois proposée.""",
     [F(LIV, size=2, count="single", site="segment_V"),
      F(LIV, size=2, count="single", site="segment_V", pattern="punctate"),
      F(LIV, count="single", pattern="punctate")])

case("g-en-35", "fr", "no_followup", "R1",
     "Calcification « déjà décrite » retrouvée sur l'examen actuel (présente, non historique), de 4 mm, distincte d'un hémangiome typique, chez un adulte à bas risque : R1.",
     """IRM HÉPATIQUE SANS ET AVEC INJECTION
Indication : homme de 52 ans, lésion hyperéchogène de 18 mm du segment VI sur une échographie réalisée en ville ; caractérisation.
Comparaison : échographie de mai 2025 ; TDM abdominale de 2017 (compte rendu seul).
Résultats :
La lésion du segment VI mesure 19 mm, en franc hypersignal T2, avec prise de contraste périphérique nodulaire discontinue et remplissage centripète progressif : hémangiome typique.
Asignal de 4 mm du segment VII correspondant à la ⟦calcification⟧ déjà décrite sur la TDM de 2017, sans tissu rehaussé au pourtour.
Pas d'autre lésion focale. Foie non cirrhotique. Voies biliaires normales. Rate normale.
Conclusion :
1. Hémangiome typique du segment VI. Pas de contrôle nécessaire.
2. Petite ⟦calcification⟧ du segment VII, bénigne.""",
     [F(LIV, size=4, site="segment_VII"),
      F(LIV, count="single", site="segment_VII")],
     note="'lésion hyperéchogène' (the haemangioma) is not an image/foyer hyperéchogène describing a calcification, so it is not annotated.")

case("g-en-37", "fr", "workup", "R17",
     "Petite calcification d'aspect typique, mais la cholestase biologique est un élément imputable à la lésion qui bloque R1 et fait passer au bilan par bili-IRM (R17).",
     """ÉCHOGRAPHIE ABDOMINALE
Indication : homme de 55 ans, PAL à 320 UI/L et GGT à 410 UI/L (cholestase anictérique), bilirubine normale. Pas de douleur, pas de fièvre.
Résultats : foie de taille et d'échostructure normales. ⟦Image hyperéchogène⟧ de 4 mm avec cône d'ombre postérieur au segment IV, périphérique, à distance des voies biliaires, correspondant à une ⟦calcification⟧. Pas de dilatation des voies biliaires intra- ou extrahépatiques ; VBP de 4 mm. Vésicule normale. Pancréas normal. Rate de 11 cm.
Conclusion : petite ⟦calcification⟧ hépatique du segment IV chez un patient présentant une cholestase inexpliquée, sans dilatation des voies biliaires. Une bili-IRM est proposée pour explorer l'arbre biliaire (CSP, CBP), avec recherche d'anticorps anti-mitochondries.""",
     [F(LIV, size=4, count="single", site="segment_IV"),
      F(LIV, size=4, count="single", site="segment_IV"),
      F(LIV, count="single", site="segment_IV")])

case("g-en-39", "fr", None, "none",
     "Calcifications mammaires, pulmonaires et valvulaires hors champ, mention hépatique niée ; le cancer connu ne compte pas en l'absence de calcification hépatique.",
     """TDM THORACIQUE AVEC INJECTION
Indication : femme de 64 ans, carcinome canalaire infiltrant du sein gauche récemment diagnostiqué ; bilan d'extension.
Résultats : masse spiculée de 24 mm du sein gauche avec ⟦microcalcifications⟧ associées et clip de biopsie. Ganglion axillaire gauche de 14 mm avec perte du hile graisseux. Poumons : ⟦granulome calcifié⟧ de 3 mm du lobe moyen ; pas de nodule pulmonaire suspect. ⟦Calcification⟧ valvulaire aortique. Étage abdominal supérieur : sur les coupes passant par l'abdomen, foie sans lésion focale ni ⟦calcification⟧ ; rate et surrénales normales. Os : pas de lésion lytique ou condensante.
Conclusion : carcinome du sein gauche avec ganglion axillaire gauche suspect. Pas de métastase thoracique ni hépatique.""",
     [F("other", count="multiple", detail="left breast"),
      F("other", size=3, count="single", detail="right middle lobe of the lung"),
      F("other", detail="aortic valve"),
      F(LIV, neg=True)])
